import { timingSafeEqual } from 'node:crypto';
import { CONSOLE_CSRF_HEADER, principalsOf, type Caller } from '@hub/contracts';
import { HubError } from '@hub/errors';
import type { HttpRequest, RouteGuard } from '@hub/http';
import { refuse } from './bearer.ts';
import type { AuthCore } from './core.ts';

/** A person's console session as the guard needs it: who they are, and the token their unsafe requests must carry. */
export interface PersonSession {
  readonly caller: Caller;
  readonly csrfToken: string;
}

/** How the guard asks the console (services/console) about a request's session cookie. */
export interface SessionVerifier {
  /** Whether the request carries a console session cookie at all. */
  carries(request: HttpRequest): boolean;
  /** The cookie's session, its idle timeout moved on; undefined when unknown, timed out, past its lifetime or ended. */
  verify(request: HttpRequest): Promise<PersonSession | undefined>;
}

/** Methods that change nothing (RFC 9110 §9.2.1): the only ones a session may use without its CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The guard of a process that serves the console: a route whose contract entry admits `person` takes a console
 * session cookie in place of a bearer token (a request with an `Authorization` header is always a client's); every
 * other request goes to the bearer guard unchanged. Deny by default: a route admits a session only when its entry
 * lists `person`, and a route listing only `person` refuses bearer tokens. A session's caller must hold one of the
 * route's roles like any client, and an unsafe method must carry the session's CSRF token in `x-csrf-token`
 * (SameSite=Strict already keeps other sites' requests from carrying the cookie; the token covers what SameSite
 * does not, such as a sibling subdomain). Refusals are audited as the bearer guard's are.
 */
export function sessionGuard(core: AuthCore, bearer: RouteGuard, sessions: SessionVerifier): RouteGuard {
  return async (request, reply, roles, route) => {
    const principals = principalsOf(route);
    const bySession =
      principals.includes('person') && request.headers.authorization === undefined && sessions.carries(request);
    if (!bySession) {
      if (principals.includes('client')) return bearer(request, reply, roles, route);
      await refuse(core, request, reply, 'no-session', undefined);
      throw new HubError('unauthenticated', 'Sign in to the console first.');
    }
    const session = await sessions.verify(request);
    if (session === undefined) {
      await refuse(core, request, reply, 'session-invalid', undefined);
      throw new HubError('unauthenticated', 'The console session has ended; sign in again.');
    }
    const { caller } = session;
    if (!roles.includes(caller.role)) {
      await refuse(core, request, reply, 'role-not-allowed', caller, caller);
      throw new HubError('forbidden', 'This person may not call this route.');
    }
    if (!SAFE_METHODS.has(request.method) && !sameToken(request.headers[CONSOLE_CSRF_HEADER], session.csrfToken)) {
      await refuse(core, request, reply, 'csrf-token', caller, caller);
      throw new HubError('forbidden', `A request that changes something needs the session's ${CONSOLE_CSRF_HEADER}.`);
    }
    return caller;
  };
}
