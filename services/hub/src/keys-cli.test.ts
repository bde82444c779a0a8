import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The CLI as `./hub keys` runs it, on files in a temp dir.
const run = promisify(execFile);
const cli = join(import.meta.dirname, 'keys-cli.ts');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-keys-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keys(env: Record<string, string>, ...args: string[]) {
  const { AUDIT_LOG_KEY_FILE: _a, HUB_SIGNING_KEYS_FILE: _b, HUB_INBOX_RETENTION_DAYS: _c, ...rest } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: { ...rest, ...env } });
    return { code: 0, out: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

// Each run starts a Node process that loads the hub's configuration modules: seconds on a busy machine.
describe('./hub keys', { timeout: 60_000 }, () => {
  it('init makes the signing keys and the audit log key (0600), prints the kid and the vkey, and never replaces one', async () => {
    const file = join(dir, 'hub-signing-keys.json');
    const env = { HUB_SIGNING_KEYS_FILE: file, AUDIT_LOG_ORIGIN: 'hub.example/audit' };
    const first = await keys(env, 'init');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(new RegExp(`created ${file}: active kid \\S+`));
    expect(first.out).toMatch(/created \S+audit-log\.skey: audit log vkey hub\.example\/audit\+[0-9a-f]{8}\+\S+/);
    for (const made of [file, join(dir, 'audit-log.skey')]) expect((await stat(made)).mode & 0o777).toBe(0o600);
    const signing = await readFile(file, 'utf8');
    const logKey = await readFile(join(dir, 'audit-log.skey'), 'utf8');
    // Public parts only on the terminal.
    expect(first.out).not.toContain(logKey.trim());
    expect(first.out).not.toContain((JSON.parse(signing) as { keys: { d: string }[] }).keys[0]?.d);

    const again = await keys(env, 'init');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^kept .*\nkept /);
    expect(await readFile(file, 'utf8')).toBe(signing);
    expect(await readFile(join(dir, 'audit-log.skey'), 'utf8')).toBe(logKey);
  });

  it('rotate keeps the retired key for HUB_INBOX_RETENTION_DAYS and a day, and refuses a retention the hub would', async () => {
    const file = join(dir, 'hub-signing-keys.json');
    await keys({ HUB_SIGNING_KEYS_FILE: file }, 'init');
    const rotated = await keys({ HUB_SIGNING_KEYS_FILE: file, HUB_INBOX_RETENTION_DAYS: '120' }, 'rotate');
    expect(rotated.code).toBe(0);
    const until = /retired now: \S+, published until (\S+)/.exec(rotated.out)?.[1];
    const retiredAt = (JSON.parse(await readFile(file, 'utf8')) as { keys: { retiredAt?: string }[] }).keys[1]
      ?.retiredAt;
    expect(Date.parse(until ?? '') - Date.parse(retiredAt ?? '')).toBe(121 * 24 * 60 * 60 * 1000);

    const refused = await keys({ HUB_SIGNING_KEYS_FILE: file, HUB_INBOX_RETENTION_DAYS: '10' }, 'rotate');
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('HUB_INBOX_RETENTION_DAYS');
    expect((await keys({}, 'rotate')).code).toBe(2);
    expect((await keys({ HUB_SIGNING_KEYS_FILE: file }, 'sideways')).code).toBe(2);
  });
});
