import { randomUUID } from 'node:crypto';
import { auditEvent } from '@hub/audit';
import {
  auditEventsTopic,
  HTTP_ROUTES,
  STEPS,
  type AuditEvent,
  type ConsoleSignInFailure,
  type ConsoleUser,
} from '@hub/contracts';
import { HubError } from '@hub/errors';
import { bindRoute, networkOf, type HttpReply, type HttpRequest, type RouteBinding } from '@hub/http';
import { requestPublish, type KafkaClient } from '@hub/kafka';
import type { Accounts } from './accounts.ts';
import type { OidcSignIn } from './oidc.ts';
import { actorOfUser, userOf } from './people.ts';
import type { Sessions } from './sessions.ts';
import type { SignInLimits } from './sign-in-limits.ts';

const SERVICE = 'console';

export interface ConsoleAudit {
  /** Publishes console audit events (before the act they record takes effect, where it matters). */
  record(events: readonly AuditEvent[]): Promise<void>;
  signedIn(user: ConsoleUser, at: Date): AuditEvent;
  refused(reason: ConsoleSignInFailure, request: HttpRequest, at: Date): AuditEvent;
}

export function consoleAudit(kafka: KafkaClient): ConsoleAudit {
  return {
    async record(events) {
      await requestPublish(
        kafka,
        STEPS.consoleRequests,
        auditEventsTopic,
        // The topic's key rule: the record's id, else the organisation that acted (one record's events stay in order).
        events.map((value) => ({ key: value.receiptId ?? value.actor?.organisation ?? SERVICE, value })),
      );
    },
    signedIn: (user, at) =>
      auditEvent(SERVICE, 'console-signed-in', at, { actor: actorOfUser(user), reason: user.signIn }, [randomUUID()]),
    refused(reason, request, at) {
      // Nobody proven, and never what was typed: the reason and the network the attempt came from.
      const event = auditEvent(SERVICE, 'console-sign-in-refused', at, { reason }, [randomUUID()]);
      return { ...event, sourceNetwork: networkOf(request.ip) };
    },
  };
}

export interface SessionRoutesDeps {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly limits: SignInLimits;
  readonly audit: ConsoleAudit;
  readonly oidc: OidcSignIn | undefined;
  readonly now: () => Date;
}

const BAD_CREDENTIALS = 'The username or password is not right.';

/**
 * Sign-in with a local account, the session, sign-out and the sign-in options. A sign-in is audited
 * (`console-signed-in`) before the session starts; a failure (`console-sign-in-refused`, never with the username or
 * anything typed, and not logged with them either) counts towards the username's and the network's limits.
 */
export function sessionRoutes(deps: SessionRoutesDeps): RouteBinding[] {
  const { accounts, sessions, limits, audit, now } = deps;
  return [
    bindRoute(HTTP_ROUTES.getConsoleSignInOptions, async () => ({
      password: await accounts.hasPasswords(),
      oidc: deps.oidc === undefined ? null : { name: deps.oidc.name, start: '/v1/console/oidc/authorization' as const },
    })),

    bindRoute(HTTP_ROUTES.signInToConsole, async ({ body, request, reply }) => {
      const network = networkOf(request.ip);
      const retryMs = await limits.blocked(body.username, network);
      if (retryMs !== undefined) {
        void reply.header('retry-after', String(Math.ceil(retryMs / 1000)));
        request.log.info({ reason: 'rate-limited' }, 'console sign-in refused');
        throw new HubError('too-many-requests', 'Too many failed sign-ins; retry after the time in Retry-After.');
      }
      const account = await accounts.checkPassword(body.username, body.password);
      if (account === undefined) {
        const { reachedLimit } = await limits.fail(body.username, network);
        const at = now();
        await audit.record([
          audit.refused('bad-credentials', request, at),
          ...(reachedLimit ? [audit.refused('rate-limited', request, at)] : []),
        ]);
        request.log.info({ reason: 'bad-credentials', reachedLimit }, 'console sign-in refused');
        throw new HubError('unauthenticated', BAD_CREDENTIALS);
      }
      const user = userOf(account, 'password');
      await audit.record([audit.signedIn(user, now())]);
      request.log.info({ role: user.role, signIn: 'password' }, 'console signed in');
      return sessions.start(user, reply);
    }),

    bindRoute(HTTP_ROUTES.getConsoleSession, async ({ request }) => {
      const session = await sessions.current(request);
      if (session === undefined) throw new HubError('unauthenticated', 'The console session has ended; sign in again.');
      return session;
    }),

    bindRoute(HTTP_ROUTES.signOutOfConsole, async ({ caller, request, reply }) => {
      await audit.record([
        auditEvent(SERVICE, 'console-signed-out', now(), { actor: caller, reason: 'signed-out' }, [randomUUID()]),
      ]);
      await sessions.end(request, reply);
      return { signedOut: true as const };
    }),
  ];
}

/** Starts the session of a person the OIDC callback identified (audited first), for the callback route. */
export async function startSession(
  deps: Pick<SessionRoutesDeps, 'sessions' | 'audit' | 'now'>,
  user: ConsoleUser,
  reply: HttpReply,
): Promise<void> {
  await deps.audit.record([deps.audit.signedIn(user, deps.now())]);
  await deps.sessions.start(user, reply);
}
