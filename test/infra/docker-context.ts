import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';

/*
 * The Docker build context without Docker: the files `docker build .` would send, by the repository's .dockerignore
 * (patterns relative to the root; `**` for any depth; an excluded directory excludes what it holds).
 */

/** The .dockerignore patterns. Negations (`!x`) would need Docker's full precedence rules: refused here. */
export function dockerignorePatterns(root: string): string[] {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (patterns.some((pattern) => pattern.startsWith('!'))) throw new Error('.dockerignore negations are not supported');
  return patterns.map((pattern) => pattern.replace(/^\/+|\/+$/g, ''));
}

/** Copies the build context of `root` into `destination`; returns how many files it copied. */
export function copyBuildContext(root: string, destination: string): number {
  const patterns = dockerignorePatterns(root);
  let copied = 0;
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (patterns.some((pattern) => matchesGlob(path, pattern))) continue;
      if (entry.isDirectory()) {
        mkdirSync(join(destination, path), { recursive: true });
        walk(path);
      } else if (entry.isFile()) {
        copyFileSync(join(root, path), join(destination, path));
        copied += 1;
      }
    }
  };
  mkdirSync(destination, { recursive: true });
  walk('');
  return copied;
}
