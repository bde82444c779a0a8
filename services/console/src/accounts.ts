import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { CONSOLE_LIMITS, CONSOLE_ROLES, forceCode, odsCode, onsCode } from '@hub/contracts';

/**
 * The console's people, from a JSON file (`CONSOLE_ACCOUNTS_FILE`): each account acts for one organisation in one IG
 * role, and signs in with a username and password (scrypt hash), or through OpenID Connect as the subject it lists,
 * or both. Nobody else gets in: a person the identity provider vouches for but no account lists is refused.
 */

/** scrypt's cost (RFC 7914): N = 2^15, r = 8, p = 1 is OWASP's floor for scrypt; about 50-100 ms per check here. */
export const SCRYPT = { N: 32_768, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_ACCOUNTS = 5_000;

const b64url = /^[A-Za-z0-9_-]+$/;
/** `scrypt$<N>$<r>$<p>$<salt>$<key>` (salt and key base64url), so the cost can rise without breaking old hashes. */
const passwordHash = z
  .string()
  .max(300)
  .regex(
    /^scrypt\$\d{1,8}\$\d{1,3}\$\d{1,3}\$[A-Za-z0-9_-]{16,88}\$[A-Za-z0-9_-]{43,88}$/,
    'must be scrypt$N$r$p$salt$key',
  );

const account = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, underscores or hyphens'),
    displayName: z.string().min(1).max(CONSOLE_LIMITS.displayNameChars),
    role: z.enum(CONSOLE_ROLES, `must be one of ${CONSOLE_ROLES.join(', ')}`),
    organisation: z.union([onsCode, odsCode, forceCode], 'must be an ONS, ODS or police force code'),
    username: z
      .string()
      .regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, underscores, @ or hyphens')
      .optional(),
    passwordHash: passwordHash.optional(),
    oidcSubject: z.string().min(1).max(255).optional(),
  })
  .strict()
  .refine((entry) => (entry.username === undefined) === (entry.passwordHash === undefined), {
    path: ['passwordHash'],
    message: 'username and passwordHash go together',
  })
  .refine((entry) => entry.username !== undefined || entry.oidcSubject !== undefined, {
    path: ['oidcSubject'],
    message: 'an account needs a username and password, an oidcSubject, or both',
  });

/**
 * One person. `id` is stable and opaque (not a name): their actor id on the audit trail is `local:<id>` or
 * `oidc:<id>`; `oidcSubject` is the provider's `sub` for them (NHS CIS2: their UUID).
 */
export type ConsoleAccount = Readonly<z.infer<typeof account>>;

const accountsFile = z.object({ accounts: z.array(account).max(MAX_ACCOUNTS) }).strict();

/** A bad accounts file: each problem names an account by index and the field, never a value. */
export class AccountsFileError extends Error {
  override readonly name = 'AccountsFileError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(['Invalid console accounts file:', ...problems.map((problem) => `  ${problem}`)].join('\n'));
    this.problems = problems;
  }
}

/** Validates an accounts file's JSON: every problem at once, by position and field only. */
export function parseAccounts(raw: unknown): readonly ConsoleAccount[] {
  const parsed = accountsFile.safeParse(raw);
  if (!parsed.success) {
    throw new AccountsFileError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`),
    );
  }
  const problems: string[] = [];
  const seen = { id: new Map<string, number>(), username: new Map<string, number>(), oidc: new Map<string, number>() };
  parsed.data.accounts.forEach((entry, index) => {
    const keys = [
      ['id', entry.id] as const,
      ['username', entry.username?.toLowerCase()] as const,
      ['oidc', entry.oidcSubject] as const,
    ];
    for (const [kind, value] of keys) {
      if (value === undefined) continue;
      const first = seen[kind].get(value);
      if (first !== undefined) problems.push(`accounts.${index}: ${kind} duplicates accounts.${first}`);
      else seen[kind].set(value, index);
    }
  });
  if (problems.length > 0) throw new AccountsFileError(problems);
  return parsed.data.accounts;
}

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

const maxmem = (N: number, r: number) => 256 * N * r;

/** A new `scrypt$N$r$p$salt$key` hash of a password (for `./hub console add-user`). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const { N, r, p } = SCRYPT;
  const key = await scryptAsync(password, salt, SCRYPT.keyLength, { N, r, p, maxmem: maxmem(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** `hashPassword`, synchronously (the demo's set-up, which is synchronous). */
export function hashPasswordSync(password: string): string {
  const salt = randomBytes(SCRYPT.saltLength);
  const { N, r, p } = SCRYPT;
  const key = scryptSync(password.normalize('NFC'), salt, SCRYPT.keyLength, { N, r, p, maxmem: maxmem(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether the password matches the hash (constant-time comparison); a malformed hash never matches. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = encoded.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined || !b64url.test(salt) || !b64url.test(key)) {
    return false;
  }
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  // Bounds on what a file may ask of us: a hash with N = 2^30 would take the process down.
  if (cost.N > 1_048_576 || cost.r > 32 || cost.p > 16 || (cost.N & (cost.N - 1)) !== 0 || cost.N < 2) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    ...cost,
    maxmem: maxmem(cost.N, cost.r),
  });
  return timingSafeEqual(actual, expected);
}

export interface Accounts {
  /** The account with this username (any case), if any. */
  byUsername(username: string): Promise<ConsoleAccount | undefined>;
  byId(id: string): Promise<ConsoleAccount | undefined>;
  byOidcSubject(subject: string): Promise<ConsoleAccount | undefined>;
  /** Whether any account can sign in with a password. */
  hasPasswords(): Promise<boolean>;
  /**
   * Checks a username and password. An unknown username costs a full scrypt check too, so the answer's time does
   * not tell which usernames exist.
   */
  checkPassword(username: string, password: string): Promise<ConsoleAccount | undefined>;
}

/**
 * The accounts of a file, read again whenever it changes (size or modification time), so adding or removing a
 * person needs no restart and a removed account's sessions end at their next request. No file: no accounts.
 */
export function fileAccounts(file: string | undefined): Accounts {
  let cached: { readonly key: string; readonly accounts: readonly ConsoleAccount[] } | undefined;
  // Spent on unknown usernames, so they cost what a known one does.
  const decoy = hashPassword(randomBytes(16).toString('base64url'));

  async function load(): Promise<readonly ConsoleAccount[]> {
    if (file === undefined) return [];
    const info = await stat(file);
    const key = `${info.size}:${info.mtimeMs}`;
    if (cached?.key === key) return cached.accounts;
    if (info.size > MAX_FILE_BYTES) throw new AccountsFileError([`(file): larger than ${MAX_FILE_BYTES} bytes`]);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      throw new AccountsFileError(['(file): not JSON']);
    }
    const accounts = parseAccounts(raw);
    cached = { key, accounts };
    return accounts;
  }

  const find = async (match: (entry: ConsoleAccount) => boolean) => (await load()).find(match);

  return {
    byUsername: (username) => find((entry) => entry.username?.toLowerCase() === username.toLowerCase()),
    byId: (id) => find((entry) => entry.id === id),
    byOidcSubject: (subject) => find((entry) => entry.oidcSubject === subject),
    hasPasswords: async () => (await load()).some((entry) => entry.passwordHash !== undefined),
    async checkPassword(username, password) {
      const found = await find((entry) => entry.username?.toLowerCase() === username.toLowerCase());
      const ok = await verifyPassword(password, found?.passwordHash ?? (await decoy));
      return ok && found?.passwordHash !== undefined ? found : undefined;
    },
  };
}

/**
 * Adds (or replaces, by id) an account in the file, written whole to a temporary file (mode 0600) and renamed over
 * the old one, so a reader never sees half a file. Creates the file when missing.
 */
export async function writeAccount(file: string, entry: ConsoleAccount): Promise<void> {
  let current: readonly ConsoleAccount[] = [];
  try {
    current = parseAccounts(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const accounts = [...current.filter((other) => other.id !== entry.id), entry];
  parseAccounts({ accounts });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ accounts }, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}
