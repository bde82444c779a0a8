import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountsFileError,
  fileAccounts,
  hashPassword,
  hashPasswordSync,
  parseAccounts,
  verifyPassword,
  writeAccount,
} from './accounts.ts';

let dir: string;
let hash: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-accounts-'));
  hash = await hashPassword('correct horse battery staple');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const officer = (extra: Record<string, unknown> = {}) => ({
  id: 'ig-0001',
  displayName: 'Somerset IG officer',
  role: 'ig-officer',
  organisation: 'E06000066',
  username: 'somerset.ig',
  passwordHash: hash,
  ...extra,
});

describe('passwords', () => {
  it('hash with scrypt (N=2^15, r=8, p=1) and a fresh salt, and verify only the right password', async () => {
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hashPassword('correct horse battery staple')).not.toBe(hash);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
    expect(await verifyPassword('correct horse battery staple', hashPasswordSync('other'))).toBe(false);
    expect(await verifyPassword('other', hashPasswordSync('other'))).toBe(true);
  });

  it('never match a malformed hash or one asking for an absurd cost', async () => {
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$10$abc$def')).toBe(false);
    const [, , r, p, salt, key] = hash.split('$');
    expect(await verifyPassword('x', ['scrypt', 2 ** 30, r, p, salt, key].join('$'))).toBe(false);
    expect(await verifyPassword('x', ['scrypt', 1000, r, p, salt, key].join('$'))).toBe(false);
  });
});

describe('the accounts file', () => {
  it('lists every problem by position and field, never a value', () => {
    const secretish = 'hunter2-typed-in-the-wrong-field';
    let error: unknown;
    try {
      parseAccounts({
        accounts: [
          officer(),
          officer({ username: 'SOMERSET.IG', id: 'ig-0002' }),
          officer({ id: 'ig-0003', username: undefined, passwordHash: undefined }),
          officer({ id: 'ig-0004', organisation: secretish }),
          officer({ id: 'ig-0005', role: 'police' }),
        ],
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AccountsFileError);
    const problems = (error as AccountsFileError).problems;
    expect(problems.some((problem) => problem.startsWith('accounts.2.oidcSubject'))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('accounts.3.organisation'))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('accounts.4.role'))).toBe(true);
    expect((error as Error).message).not.toContain(secretish);
    // Duplicates are checked once every account is valid: usernames compare in any case.
    expect(() => parseAccounts({ accounts: [officer(), officer({ id: 'ig-0002', username: 'SOMERSET.IG' })] })).toThrow(
      'accounts.1: username duplicates accounts.0',
    );
    expect(() => parseAccounts({ accounts: [officer(), officer({ username: 'other' })] })).toThrow(
      'accounts.1: id duplicates accounts.0',
    );
  });

  it('checks a password by username in any case, and answers the same for an unknown username', async () => {
    const file = join(dir, 'accounts.json');
    await writeFile(
      file,
      JSON.stringify({
        accounts: [
          officer(),
          { ...officer({ id: 'ig-oidc', oidcSubject: 'sub-1' }), username: undefined, passwordHash: undefined },
        ],
      }),
    );
    const accounts = fileAccounts(file);
    expect((await accounts.checkPassword('Somerset.IG', 'correct horse battery staple'))?.id).toBe('ig-0001');
    expect(await accounts.checkPassword('somerset.ig', 'wrong')).toBeUndefined();
    expect(await accounts.checkPassword('nobody', 'correct horse battery staple')).toBeUndefined();
    expect((await accounts.byOidcSubject('sub-1'))?.id).toBe('ig-oidc');
    expect(await accounts.hasPasswords()).toBe(true);
    expect(await fileAccounts(undefined).hasPasswords()).toBe(false);
  });

  it('is read again when it changes, so a removed account is gone without a restart', async () => {
    const file = join(dir, 'changing.json');
    await writeAccount(file, { ...officer(), role: 'ig-officer' });
    expect(((await stat(file)).mode & 0o777).toString(8)).toBe('600');
    const accounts = fileAccounts(file);
    expect(await accounts.byId('ig-0001')).toBeDefined();
    await writeAccount(file, { ...officer({ id: 'ig-0002', username: 'second' }), role: 'ig-officer' });
    expect(await accounts.byId('ig-0002')).toBeDefined();
    await writeFile(file, JSON.stringify({ accounts: [] }));
    expect(await accounts.byId('ig-0001')).toBeUndefined();
  });
});
