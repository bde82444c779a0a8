import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { PersonSession, SessionVerifier } from '@hub/auth';
import { consoleUser, type ConsoleSession, type ConsoleUser } from '@hub/contracts';
import type { HttpReply, HttpRequest } from '@hub/http';
import type { RedisClient } from '@hub/redis';
import type { Accounts } from './accounts.ts';

/**
 * People's console sessions, in Redis as a cache (`console-sessions` in contracts/src/state.ts): losing it only
 * signs everyone out. The browser holds an opaque random id in an HttpOnly cookie; Redis holds the session under the
 * SHA-256 of that id, so a copy of Redis hands nobody a usable cookie. A session ends after `idleMs` without a
 * request, at `maxMs` after sign-in whatever the activity, at sign-out, or when its account leaves the accounts file
 * or changes role or organisation.
 */

export interface SessionOptions {
  readonly redis: RedisClient;
  readonly accounts: Accounts;
  readonly idleMs: number;
  readonly maxMs: number;
  /** `https:` public URL: the cookie is `Secure` and named `__Host-hub_console` (RFC 6265bis cookie prefixes). */
  readonly secure: boolean;
  readonly now: () => Date;
}

const stored = z
  .object({
    user: consoleUser,
    csrfToken: z.string(),
    createdAt: z.number(),
    expiresAt: z.number(),
    idleExpiresAt: z.number(),
  })
  .strict();
type StoredSession = z.infer<typeof stored>;

/** The cookie's name: `__Host-` requires Secure, Path=/ and no Domain, which is how it is set over TLS. */
export function cookieName(secure: boolean): string {
  return secure ? '__Host-hub_console' : 'hub_console';
}

const key = (id: string) => `console:session:${createHash('sha256').update(id).digest('hex')}`;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The value of one cookie of a `Cookie` header (RFC 6265 §5.4 form: `a=1; b=2`); the first one if repeated. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 8_192) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export interface Sessions extends SessionVerifier {
  /** Starts a session for the user and sets its cookie on the reply; answers what the console shows. */
  start(user: ConsoleUser, reply: HttpReply): Promise<ConsoleSession>;
  /** The request's session as the console shows it (after the guard verified it). */
  current(request: HttpRequest): Promise<ConsoleSession | undefined>;
  /** Ends the request's session and clears the cookie. */
  end(request: HttpRequest, reply: HttpReply): Promise<void>;
  readonly cookieName: string;
}

function view(session: StoredSession, idleMs: number): ConsoleSession {
  return {
    user: session.user,
    csrfToken: session.csrfToken,
    idleTimeoutSeconds: Math.round(idleMs / 1000),
    idleExpiresAt: new Date(session.idleExpiresAt).toISOString(),
    expiresAt: new Date(session.expiresAt).toISOString(),
  };
}

export function createSessions(options: SessionOptions): Sessions {
  const { redis, accounts, idleMs, maxMs, secure, now } = options;
  const name = cookieName(secure);
  const attributes = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

  const idOf = (request: HttpRequest): string | undefined => {
    const id = readCookie(request.headers.cookie, name);
    return id !== undefined && SESSION_ID.test(id) ? id : undefined;
  };

  async function load(id: string): Promise<StoredSession | undefined> {
    const raw = await redis.get(key(id));
    if (raw === null) return undefined;
    const parsed = stored.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  /** Writes the session with its idle timeout moved on; only if it still exists (XX), so a sign-out wins a race. */
  async function touch(id: string, session: StoredSession, at: number): Promise<StoredSession | undefined> {
    const moved = { ...session, idleExpiresAt: Math.min(at + idleMs, session.expiresAt) };
    const ttl = Math.max(1, moved.idleExpiresAt - at);
    const written = await redis.set(key(id), JSON.stringify(moved), 'PX', ttl, 'XX');
    return written === 'OK' ? moved : undefined;
  }

  /** The live session of a request, its idle timeout moved on; ends it when timed out or its account changed. */
  async function live(request: HttpRequest): Promise<{ id: string; session: StoredSession } | undefined> {
    const id = idOf(request);
    if (id === undefined) return undefined;
    const session = await load(id);
    if (session === undefined) return undefined;
    const at = now().getTime();
    const account = await accounts.byId(session.user.id.slice(session.user.id.indexOf(':') + 1));
    const current =
      account !== undefined && account.role === session.user.role && account.organisation === session.user.organisation;
    if (at >= session.idleExpiresAt || at >= session.expiresAt || !current) {
      await redis.del(key(id));
      return undefined;
    }
    const moved = await touch(id, session, at);
    return moved === undefined ? undefined : { id, session: moved };
  }

  return {
    cookieName: name,
    carries: (request) => readCookie(request.headers.cookie, name) !== undefined,
    async verify(request): Promise<PersonSession | undefined> {
      const found = await live(request);
      if (found === undefined) return undefined;
      const { user, csrfToken } = found.session;
      return { caller: { clientId: user.id, role: user.role, organisation: user.organisation }, csrfToken };
    },
    async start(user, reply) {
      const id = randomBytes(32).toString('base64url');
      const at = now().getTime();
      const session: StoredSession = {
        user,
        csrfToken: randomBytes(32).toString('base64url'),
        createdAt: at,
        expiresAt: at + maxMs,
        idleExpiresAt: at + Math.min(idleMs, maxMs),
      };
      await redis.set(key(id), JSON.stringify(session), 'PX', session.idleExpiresAt - at);
      void reply.header('set-cookie', `${name}=${id}; ${attributes}; Max-Age=${Math.floor(maxMs / 1000)}`);
      return view(session, idleMs);
    },
    async current(request) {
      // The guard has just verified (and touched) it; read it as it is now.
      const id = idOf(request);
      const session = id === undefined ? undefined : await load(id);
      return session === undefined ? undefined : view(session, idleMs);
    },
    async end(request, reply) {
      const id = idOf(request);
      if (id !== undefined) await redis.del(key(id));
      void reply.header('set-cookie', `${name}=; ${attributes}; Max-Age=0`);
    },
  };
}
