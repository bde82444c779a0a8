import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectSelector, dockerfileViolations, isDevelopmentPackage } from './dockerfile-rules.ts';

// The production image, checked without a Docker engine: what the Dockerfile says, and what its build stages
// would install, taken from the lockfile by pnpm with the same selectors the Dockerfile gives infra/image/collect.sh.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}/${path}`, 'utf8');
const DOCKERFILE = read('Dockerfile');
const NODE_VERSION = read('.nvmrc').trim();

function selector(stageName: string): string {
  return collectSelector(DOCKERFILE, stageName);
}

interface ListedPackage {
  readonly name?: string;
  readonly dependencies?: Record<string, ListedPackage & { readonly from?: string }>;
}

/** Every package the selector's production install holds: the workspace projects and all they depend on. */
function productionClosure(selector: string, filterFlag = '--filter-prod'): Set<string> {
  const output = execFileSync('pnpm', ['list', '--prod', '--depth', 'Infinity', '--json', filterFlag, selector], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const names = new Set<string>();
  const visit = (dependencies: ListedPackage['dependencies']) => {
    for (const [name, listed] of Object.entries(dependencies ?? {})) {
      if (names.has(name)) continue;
      names.add(name);
      visit(listed.dependencies);
    }
  };
  for (const project of JSON.parse(output) as ListedPackage[]) {
    if (project.name !== undefined) names.add(project.name);
    visit(project.dependencies);
  }
  return names;
}

describe('the production image (Dockerfile)', () => {
  it('builds the hub by default, from its own directory', () => {
    expect(selector('build')).toBe('{./services/hub}...');
  });

  it.each([
    ['build', ['@hub/hub', 'fastify', 'kafkajs', 'ioredis']],
    ['demo-build', ['@hub/demo', '@hub/signing']],
  ])(
    'stage %s installs the production dependencies only: no vitest, vite, esbuild, typescript, @types',
    (stage, expected) => {
      const closure = productionClosure(selector(stage));
      // What the stage runs is there (so the walk saw the dependency tree at all)...
      expect([...closure]).toEqual(expect.arrayContaining(expected));
      // ...and no development tool is.
      expect([...closure].filter(isDevelopmentPackage)).toEqual([]);
    },
  );

  it('would install vitest with --filter in place of --filter-prod (so the check above can fail)', () => {
    expect(productionClosure(selector('build'), '--filter')).toContain('vitest');
  });

  it('collect.sh installs with --prod and --filter-prod, which leaves devDependencies out of the selection', () => {
    // `--filter x...` would follow devDependencies and select @hub/testkit, whose dependency is vitest.
    const script = read('infra/image/collect.sh')
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    expect(script).toMatch(/pnpm install --frozen-lockfile --prod --offline --filter-prod "\$selector"/);
    expect(script).toMatch(/pnpm list --prod --depth -1 --json --filter-prod "\$selector"/);
    expect(script).not.toMatch(/--filter /);
  });

  it('pins Node, runs as a non-root user with a health check on /health/ready, and installs nothing at run time', () => {
    expect(dockerfileViolations(DOCKERFILE, NODE_VERSION)).toEqual([]);
  });

  it.each([
    // `USER node` then `EXPOSE`: the runtime stage's (the demo stage has its own USER).
    [
      'without USER',
      (text: string) => text.replace('USER node\nEXPOSE', 'EXPOSE'),
      'runtime: must run as a non-root USER',
    ],
    [
      'as root',
      (text: string) => text.replace('USER node\nEXPOSE', 'USER root\nEXPOSE'),
      'runtime: must run as a non-root USER',
    ],
    [
      'without HEALTHCHECK',
      (text: string) => text.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ''),
      'runtime: must have a HEALTHCHECK on /health/ready',
    ],
    [
      'on node:latest',
      (text: string) => text.replace(/^ARG NODE_IMAGE=.*$/m, 'ARG NODE_IMAGE=node:latest'),
      'stage workspace: node:latest must be pinned by a tag',
    ],
    [
      'installing in the runtime stage',
      (text: string) => text.replace('USER node\nEXPOSE', 'RUN npm install vitest\nUSER node\nEXPOSE'),
      'runtime: installs nothing (packages come from the build stage)',
    ],
    [
      "copying the console-ui stage's whole workspace (its development tools)",
      (text: string) =>
        text.replace(
          '/app/services/console/ui/dist /app/services/console/ui/dist',
          '/app/node_modules /app/node_modules',
        ),
      "runtime: copies only from the build stage (and the console-ui stage's built dist/)",
    ],
  ])('a Dockerfile %s fails', (_case, mutate, violation) => {
    const mutated = mutate(DOCKERFILE);
    expect(mutated).not.toBe(DOCKERFILE);
    expect(dockerfileViolations(mutated, NODE_VERSION)).toContain(violation);
  });

  it('.dockerignore keeps the history, caches, local data and node_modules out of the build context', () => {
    const entries = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    expect(entries).toEqual(expect.arrayContaining(['.git', '.cache', '.data', '**/node_modules']));
  });
});
