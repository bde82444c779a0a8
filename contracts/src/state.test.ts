import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HUB_CACHES, HUB_VIEW_NAMES, HUB_VIEWS, VIEW_KEY_PATTERNS, VIEW_KEYS, viewTopics } from './state.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every TypeScript source (not test) file under the folders that hold the hub's code. */
function sources(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'generated') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) found.push(path);
    }
  };
  for (const top of ['services', 'packages', 'contracts']) walk(join(ROOT, top));
  return found;
}

/** Not Redis keys, though they look like `word:...`: schemes and URNs. */
const NOT_KEYS = /^(https?|urn|node|redis|rediss):/;

/**
 * The key literals of every module that uses Redis (imports `@hub/redis`, or is contracts' own state module): each
 * `'ns:...'` string or `` `ns:${...}` `` template, with each substitution (and each `<placeholder>` of a comment)
 * as `*`.
 */
function keyLiterals(): { file: string; key: string }[] {
  const keys: { file: string; key: string }[] = [];
  for (const file of sources()) {
    const text = readFileSync(file, 'utf8');
    const own = file.endsWith(join('contracts', 'src', 'state.ts'));
    if (!own && !/from '@hub\/redis'/.test(text)) continue;
    if (file.includes(join('packages', 'redis', 'src')) || file.includes(join('packages', 'config', 'src'))) continue;
    // A line may say a literal is not a key (e.g. a readiness check's name).
    const lines = text.split('\n').filter((line) => !line.includes('not a Redis key'));
    const code = lines.join('\n');
    const literal = /`([a-z][a-z0-9-]*:(?:[^`$\s]|\$\{[^}]*\})*)`|'([a-z][a-z0-9-]*:[A-Za-z0-9:*-]*)'/g;
    for (const match of code.matchAll(literal)) {
      const raw = match[1] ?? match[2] ?? '';
      if (NOT_KEYS.test(raw)) continue;
      const key = raw.replace(/\$\{[^}]*\}/g, '*').replace(/<[^>]*>/g, '*');
      keys.push({ file: relative(ROOT, file), key });
    }
  }
  return keys;
}

/** Redis glob matching (`*` only), with a literal `*` of a key template matched by the pattern's `*`. */
function globMatches(pattern: string, key: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(key);
}

const DECLARED: readonly string[] = [
  ...Object.values(HUB_VIEWS).flatMap((entry) => entry.keys),
  ...Object.values(HUB_CACHES).flatMap((entry) => entry.keys),
  ...VIEW_KEY_PATTERNS,
];

describe('every piece of Redis state is listed (contracts/src/state.ts)', () => {
  const found = keyLiterals();

  it('finds the key literals of the stores (the search itself works)', () => {
    const files = new Set(found.map((literal) => literal.file));
    for (const file of [
      'services/inbox/src/store.ts',
      'services/police-gateway/src/receipt-status.ts',
      'services/dispatcher/src/lineage.ts',
      'packages/auth/src/token-endpoint.ts',
      'packages/runtime/src/instance-name.ts',
    ]) {
      expect(files).toContain(file);
    }
    expect(found).toContainEqual({ file: 'services/inbox/src/store.ts', key: 'inbox:*:lock' });
  });

  it('every key a module uses matches a declared pattern', () => {
    const undeclared = found.filter(({ key }) => !DECLARED.some((pattern) => globMatches(pattern, key)));
    expect(undeclared).toEqual([]);
  });

  it('every declared pattern is used by some module (the list holds nothing that is gone)', () => {
    const unused = DECLARED.filter(
      (pattern) =>
        !(VIEW_KEY_PATTERNS as readonly string[]).includes(pattern) &&
        !found.some(({ key }) => globMatches(pattern, key)),
    );
    expect(unused).toEqual([]);
  });

  it("tells a view's locks and its data apart", () => {
    expect(globMatches('inbox:*:items', 'inbox:*:lock')).toBe(false);
    expect(globMatches('inbox:*:lock', 'inbox:*:lock')).toBe(true);
  });

  it('derives the topics of each view from the steps that write it', () => {
    expect(viewTopics('cp-flags')).toEqual([
      'cp.plan-recorded.v1',
      'cp.fgm-indicator-recorded.v1',
      'cp.flag-accessed.v1',
    ]);
    expect(viewTopics('audit')).toEqual(['audit.events.v1', 'audit.sequence.v1', 'audit.checkpoints.v1']);
    expect(viewTopics('incident-versions')).toEqual(['da.incident-received.v1']);
    expect(viewTopics('inbox')).toContain('notifications.issued.v1');
    // Every view is written by some step, so it has topics to be rebuilt from.
    for (const view of HUB_VIEW_NAMES) expect([view, viewTopics(view).length > 0]).toEqual([view, true]);
  });

  it("names each view's coordination keys under the view's name, and each is declared", () => {
    expect(VIEW_KEYS.generation('cp-flags')).toBe('view:{views}:cp-flags:generation');
    expect(VIEW_KEYS.space('inbox', 'g1')).toBe('gen:{inbox:g1}:');
    for (const key of [
      VIEW_KEYS.generation('inbox'),
      VIEW_KEYS.building('inbox'),
      VIEW_KEYS.builder('inbox'),
      VIEW_KEYS.progress('inbox'),
      VIEW_KEYS.redisRunId,
      `${VIEW_KEYS.space('inbox', 'g1')}inbox:x:items`,
    ]) {
      expect([key, VIEW_KEY_PATTERNS.some((pattern) => globMatches(pattern, key))]).toEqual([key, true]);
    }
  });
});
