import { z } from 'zod';
import { hostName, intInRange, urlString } from './coerce.ts';

/*
 * Reusable pieces of a service's environment schema. The defaults suit local development (the brokers and Redis
 * that `pnpm infra up` and docker-compose.yml publish on 127.0.0.1); deployed environments set every key.
 * A service combines what it needs: `kafkaEnv.extend(redisEnv.shape).extend({ MY_KEY: ... })`.
 */

/** pino's levels, plus 'silent'; the same set as `LogLevel` in @hub/logger. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** The largest request body any service may accept; a referral is kilobytes, 10 MiB is already generous. */
export const MAX_HTTP_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

export const redisEnv = z.object({
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  REDIS_URL: urlString({ protocols: ['redis:', 'rediss:'] }).default('redis://127.0.0.1:6380'),
  /**
   * Prepended to every key by @hub/redis. Glob characters are not allowed, so the prefix can be used verbatim in
   * SCAN patterns.
   */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{1,64}$/, 'must be 1 to 64 letters, digits, colons, dots, underscores or hyphens')
    .default('hub:'),
});

export const postgresEnv = z.object({
  /**
   * `postgres://user[:password]@host:port/database` (or `postgresql://`): the audit trail's store. Required: a hub
   * without its trail must not start. Never logged (@hub/postgres keeps it out of errors too).
   */
  POSTGRES_URL: urlString({ protocols: ['postgres:', 'postgresql:'] }),
  /**
   * The schema the hub works in (its `schema_migrations`, and the prefix of each view generation's schema, e.g.
   * `public_audit_<generation>`); several hubs, or test runs, can share one database with a schema each.
   */
  POSTGRES_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,29}$/, 'must be 1 to 30 lower-case letters, digits or underscores, not first a digit')
    .default('public'),
});

export const httpEnv = z.object({
  /** Interface to listen on; 0.0.0.0 inside a container, loopback elsewhere. */
  HTTP_HOST: hostName().default('127.0.0.1'),
  /** 0 lets the OS pick a free port (tests). */
  HTTP_PORT: intInRange(0, 65_535).default(8080),
  HTTP_BODY_LIMIT_BYTES: intInRange(1, MAX_HTTP_BODY_LIMIT_BYTES).default(1024 * 1024),
});

export const logEnv = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
});
