import { authEnv } from '@hub/auth';
import {
  auditLogEnv,
  commaList,
  consoleEnv,
  existingPath,
  hostName,
  httpEnv,
  intInRange,
  kafkaEnv,
  loadConfig,
  logEnv,
  postgresEnv,
  redisEnv,
  type ConfigOf,
  type EnvSource,
} from '@hub/config';
import { INBOX_RETENTION_DAYS } from '@hub/contracts';
import { directoryEnv } from '@hub/directory';
import { MAX_TRUSTED_PROXIES, trustedProxy } from '@hub/http';
import { tracingEnv } from '@hub/tracing';

/** The largest rate limit accepted: 1,000 requests a second, beyond what one instance serves. */
export const MAX_RATE_LIMIT_PER_MINUTE = 60_000;

/** Everything the all-in-one hub process reads from its environment (services/hub/README.md lists the keys). */
export const hubEnv = kafkaEnv
  .extend(redisEnv.shape)
  .extend(postgresEnv.shape)
  .extend(httpEnv.shape)
  .extend(logEnv.shape)
  .extend(authEnv.shape)
  .extend(directoryEnv.shape)
  .extend(auditLogEnv.shape)
  .extend(consoleEnv.shape)
  .extend(tracingEnv.shape)
  .extend({
    /**
     * Days a notification stays in its inbox after it was issued (`INBOX_RETENTION_DAYS` in contracts: default 90,
     * at least 90, at most 3650); retired signing keys stay in the JWKS as long, and a day more.
     */
    HUB_INBOX_RETENTION_DAYS: intInRange(INBOX_RETENTION_DAYS.min, INBOX_RETENTION_DAYS.max).default(
      INBOX_RETENTION_DAYS.default,
    ),
    /** A domestic-abuse policy JSON file; the shipped default policy when unset. */
    POLICY_FILE: existingPath('file').optional(),
    /** A child-protection policy JSON file; the shipped default (`cp-...`) when unset. */
    CP_POLICY_FILE: existingPath('file').optional(),
    /**
     * Requests per minute of one authenticated client, across every route and instance. 10 a second: a practice
     * polling its inbox every second uses 60, a force's busiest hour a few; a client that loops is told to slow down.
     */
    HTTP_RATE_LIMIT_PER_CLIENT_PER_MINUTE: intInRange(1, MAX_RATE_LIMIT_PER_MINUTE).default(600),
    /**
     * Requests per minute from one source address that prove nobody (refused for a missing or bad token, refused at
     * the token endpoint, unknown paths). An honest client is refused only by mistake and stops; 1 a second bounds
     * the refusals audited one by one per address, and a valid token never spends it.
     */
    HTTP_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: intInRange(1, MAX_RATE_LIMIT_PER_MINUTE).default(60),
    /**
     * Token requests per minute from one source address. A client needs one per token lifetime (5 minutes), so 300
     * serves 1,500 clients behind one address (a GP system supplier hosting many practices).
     */
    HTTP_RATE_LIMIT_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE: intInRange(1, MAX_RATE_LIMIT_PER_MINUTE).default(300),
    /**
     * The rate limits' fixed window, in seconds: a minute, which the `..._PER_MINUTE` maxima assume (each is then per
     * window). Shorter only for tests that must see windows end and their refusals reported; never in a deployment.
     */
    HTTP_RATE_LIMIT_WINDOW_SECONDS: intInRange(1, 60).default(60),
    /**
     * The gateways (addresses or CIDR ranges) in front of the hub whose `X-Forwarded-For` is believed: a request's
     * source address is then the last one they forwarded, not theirs. Unset: the peer is the source (no gateway),
     * and `X-Forwarded-For` is ignored, since any client can write one.
     */
    HTTP_TRUSTED_PROXIES: commaList(trustedProxy, { maxItems: MAX_TRUSTED_PROXIES }).optional(),
    /**
     * Where Prometheus scrapes `GET /metrics` (`@hub/metrics`): a listener of its own, never the public API's port.
     * 0 (default): no metrics served and none gathered.
     */
    METRICS_PORT: intInRange(0, 65_535).default(0),
    /** The metrics listener's address: loopback by default, so only a scraper on the host (or pod) reaches it. */
    METRICS_HOST: hostName().default('127.0.0.1'),
  });
export type HubConfig = ConfigOf<typeof hubEnv>;

export function loadHubConfig(env?: EnvSource): HubConfig {
  return loadConfig(hubEnv, env);
}

/** The rate limits of `@hub/http`'s server, from the configuration. */
export function rateLimitsOf(config: HubConfig) {
  return {
    perClientPerMinute: config.HTTP_RATE_LIMIT_PER_CLIENT_PER_MINUTE,
    perAddressPerMinute: config.HTTP_RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
    tokenRequestsPerAddressPerMinute: config.HTTP_RATE_LIMIT_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE,
    windowMs: config.HTTP_RATE_LIMIT_WINDOW_SECONDS * 1_000,
  } as const;
}
