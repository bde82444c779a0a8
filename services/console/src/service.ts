import { HTTP_ROUTES } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { bindRoute } from '@hub/http';
import { inboxStoreOf } from '@hub/inbox';
import type { Queryable } from '@hub/postgres';
import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { fileAccounts } from './accounts.ts';
import { apiRoutes } from './api-routes.ts';
import { createOidcSignIn, oidcConfigOf } from './oidc.ts';
import { consoleAudit, sessionRoutes, startSession } from './session-routes.ts';
import { createSessions } from './sessions.ts';
import { createSignInLimits } from './sign-in-limits.ts';
import { DEFAULT_UI_DIR, staticRoutes } from './static.ts';

/** Where the audit trail's tables are: the served generation of the `audit` view (11a's runtime wiring). */
export type TrailSource = (deps: ServiceDeps) => Queryable;

/**
 * The IG console: people's sign-in (local accounts, OpenID Connect) and sessions, which the process's guard takes
 * where a route admits people; the timeline, content view and dashboard; and the built page at /console/.
 */
export function createConsoleService(deps: ServiceDeps, trail: TrailSource = defaultTrail): HubService {
  const { config, now } = deps;
  const secure = new URL(config.CONSOLE_PUBLIC_URL).protocol === 'https:';
  const accounts = fileAccounts(config.CONSOLE_ACCOUNTS_FILE);
  const sessions = createSessions({
    redis: deps.redis,
    accounts,
    idleMs: config.CONSOLE_SESSION_IDLE_MINUTES * 60_000,
    maxMs: config.CONSOLE_SESSION_MAX_HOURS * 3_600_000,
    secure,
    now,
  });
  const limits = createSignInLimits({
    redis: deps.redis,
    perAccount: config.CONSOLE_SIGN_IN_FAILURES_PER_ACCOUNT,
    perNetwork: config.CONSOLE_SIGN_IN_FAILURES_PER_NETWORK,
    now,
  });
  const audit = consoleAudit(deps.kafka);
  const oidcConfig = oidcConfigOf(config);
  const oidc =
    oidcConfig === undefined
      ? undefined
      : createOidcSignIn({
          config: oidcConfig,
          redis: deps.redis,
          accounts,
          secure,
          refused: (reason, request) => audit.record([audit.refused(reason, request, now())]),
        });
  const notConfigured = () => Promise.reject(new HubError('not-found', 'OpenID Connect sign-in is not configured.'));
  return defineService({
    name: 'console',
    sessions,
    routes: [
      ...sessionRoutes({ accounts, sessions, limits, audit, oidc, now }),
      ...(oidc === undefined
        ? [
            bindRoute(HTTP_ROUTES.startConsoleOidcSignIn, notConfigured),
            bindRoute(HTTP_ROUTES.completeConsoleOidcSignIn, notConfigured),
          ]
        : oidc.routes((user, reply) => startSession({ sessions, audit, now }, user, reply))),
      ...apiRoutes({
        trail: () => trail(deps),
        inbox: inboxStoreOf(deps),
        keyStore: deps.keyStore,
        audit,
        now,
      }),
      ...staticRoutes(config.CONSOLE_UI_DIR ?? DEFAULT_UI_DIR),
    ],
  });
}

function defaultTrail(deps: ServiceDeps): Queryable {
  return deps.viewPostgres('audit');
}
