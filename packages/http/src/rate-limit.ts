import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '@hub/contracts';
import { DependencyUnavailableError, HubError } from '@hub/errors';
import type { Logger } from '@hub/logger';
import { isRedisUnavailable, type RedisClient } from '@hub/redis';
import type { HttpServer } from './server.ts';

/**
 * Rate limits, counted in Redis by `@fastify/rate-limit` (its Redis store, on the hub's own client), so every
 * instance of a deployment shares one count per source. Three budgets, each a fixed one-minute window (`windowMs`,
 * shorter only in tests that watch windows end):
 *
 * - `client`: every request of an authenticated client (after the guard admitted it, and its refusals with 403),
 *   keyed by client id;
 * - `address`: every request that proves nobody (refused for a missing or bad token, refused at the token
 *   endpoint, unknown paths), keyed by source address. A valid token never spends it, so clients behind a shared
 *   address are not refused for someone else's junk there;
 * - `token`: every token request, keyed by source address, before the body is read.
 *
 * Requests refused for a limit are not audited one by one: the first refusal of a window makes its instance the
 * reporter of that source (a Redis counter's first increment), and when the window ends it reports the count once
 * (`onLimited`), so a flood adds one audit event per source per window, whatever its size.
 */

/** Every budget counts over this window, unless the options give another. */
export const RATE_LIMIT_WINDOW_MS = 60_000;
/** The report is made this long after the window ends, so refusals answered at its very end are in the count. */
const REPORT_DELAY_MS = 1_000;
/** IPv6 addresses count per /64 (one customer's allocation): one host could otherwise rotate through 2^64. */
const IPV6_LIMIT_SUBNET = 64;

export const RATE_LIMIT_NAMES = ['client', 'address', 'token'] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

/** The detail of every 429: fixed, never anything of the request. */
export const RATE_LIMITED_DETAIL = 'Too many requests from this source; retry after the time in Retry-After.';

/** Who was refused for a limit: the client, or the network the requests came from (never the full address). */
export type RateLimitedSource =
  { readonly kind: 'client'; readonly caller: Caller } | { readonly kind: 'network'; readonly network: string };

/** One source's refusals for one limit in one window: reported once, when the window is over. */
export interface RateLimitReport {
  readonly limit: RateLimitName;
  readonly source: RateLimitedSource;
  /** Requests refused with 429 in the window (at least 1). */
  readonly refused: number;
  /** When the first of them was refused, and when the report was made. */
  readonly from: Date;
  readonly to: Date;
}

export interface RateLimitOptions {
  /** The deployment's Redis client (`@hub/redis`): the counters are shared by every instance. */
  readonly redis: RedisClient;
  readonly perClientPerMinute: number;
  readonly perAddressPerMinute: number;
  readonly tokenRequestsPerAddressPerMinute: number;
  /**
   * The budgets' fixed window (default `RATE_LIMIT_WINDOW_MS`, a minute, which the `...PerMinute` maxima assume):
   * each maximum is then per window. Shorter only where a test must see windows end.
   */
  readonly windowMs?: number;
  /** Records a report (the hub audits it). A failure is logged and the report is dropped. */
  readonly onLimited: (report: RateLimitReport) => Promise<void>;
}

type Check = ReturnType<HttpServer['createRateLimit']>;

interface Limits {
  readonly checks: Partial<Record<RateLimitName, Check>>;
  readonly tally: RefusalTally;
}

const limitsOf = new WeakMap<object, Limits>();
/** The caller a `client` check is about, for its key generator (the plugin's generators get the request only). */
const checkedCallers = new WeakMap<FastifyRequest, Caller>();

/**
 * The network an address belongs to, as the audit trail records it: IPv4 /24, IPv6 /48. A full address can single
 * out one household or device (personal data); its network says where a flood came from, which is what an IG
 * officer or the network team acts on.
 */
export function networkOf(ip: string): string {
  const normalized = normalizeIP(ip, 48);
  if (normalized.includes(':')) return `${normalized}/48`;
  const octets = normalized.split('.');
  return octets.length === 4 ? `${octets.slice(0, 3).join('.')}.0/24` : 'unknown';
}

/**
 * The refusals of each source in its current window, counted in Redis (`rate-limit:refused:<limit>:<key>`). The
 * instance whose increment was the first reports the count when the window ends; `flush()` reports what is
 * pending at once (on close). A crash loses at most that instance's pending reports.
 */
class RefusalTally {
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; report: () => Promise<void> }>();

  private readonly redis: RedisClient;
  private readonly onLimited: (report: RateLimitReport) => Promise<void>;
  private readonly windowMs: number;
  private readonly logger: Logger;

  constructor(
    redis: RedisClient,
    onLimited: (report: RateLimitReport) => Promise<void>,
    windowMs: number,
    logger: Logger,
  ) {
    this.redis = redis;
    this.onLimited = onLimited;
    this.windowMs = windowMs;
    this.logger = logger;
  }

  async count(limit: RateLimitName, key: string, source: RateLimitedSource, windowLeftMs: number): Promise<void> {
    const tallyKey = `rate-limit:refused:${limit}:${key}`;
    const refused = await this.redis.incr(tallyKey);
    if (refused !== 1) return;
    const from = new Date();
    // Outlives the report by a window: a lost reporter's count then expires by itself.
    await this.redis.pexpire(tallyKey, windowLeftMs + REPORT_DELAY_MS + this.windowMs);
    const report = async (): Promise<void> => {
      this.pending.delete(tallyKey);
      try {
        const count = Number((await this.redis.getdel(tallyKey)) ?? 0);
        if (count > 0) await this.onLimited({ limit, source, refused: count, from, to: new Date() });
      } catch (error) {
        // The limit and the error only: the key holds a client id or an address.
        this.logger.warn({ err: error, limit }, 'rate-limit report failed');
      }
    };
    const timer = setTimeout(() => void report(), windowLeftMs + REPORT_DELAY_MS);
    timer.unref();
    this.pending.set(tallyKey, { timer, report });
  }

  async flush(): Promise<void> {
    const due = [...this.pending.values()];
    for (const { timer } of due) clearTimeout(timer);
    await Promise.all(due.map(({ report }) => report()));
  }
}

/**
 * Registers the three budgets on `app` (each its own registration of `@fastify/rate-limit`, so each has its own key
 * space and maximum; none is applied to routes by the plugin itself: the hooks below decide where each applies).
 */
export function registerRateLimits(app: HttpServer, options: RateLimitOptions, logger: Logger): void {
  const windowMs = options.windowMs ?? RATE_LIMIT_WINDOW_MS;
  const limits: Limits = { checks: {}, tally: new RefusalTally(options.redis, options.onLimited, windowMs, logger) };
  const maxima: Record<RateLimitName, number> = {
    client: options.perClientPerMinute,
    address: options.perAddressPerMinute,
    token: options.tokenRequestsPerAddressPerMinute,
  };
  for (const name of RATE_LIMIT_NAMES) {
    void app.register(async (scope) => {
      await scope.register(fastifyRateLimit, {
        global: false,
        redis: options.redis,
        // Under the deployment's prefix; a cache (contracts `HUB_CACHES` 'rate-limits').
        nameSpace: `rate-limit:${name}:`,
        max: maxima[name],
        timeWindow: windowMs,
        ipv6Subnet: IPV6_LIMIT_SUBNET,
        // Without Redis nothing is counted, so nothing is served: the request gets 503 not-ready like any other
        // that needs Redis (fail closed: a flood during an outage is still refused, and still not audited per request).
        skipOnError: false,
        ...(name === 'client' ? { keyGenerator: (request: FastifyRequest) => clientKey(request) } : {}),
      });
      limits.checks[name] = scope.createRateLimit();
    });
  }
  limitsOf.set(app, limits);
  app.addHook('onClose', async () => {
    await limits.tally.flush();
  });
}

function clientKey(request: FastifyRequest): string {
  const caller = checkedCallers.get(request);
  if (caller === undefined) throw new Error('rate limit: a client check without its caller');
  return caller.clientId;
}

/** The limits of the server a request reached (registered on the root instance; scopes inherit them). */
function limitsFor(request: FastifyRequest): Limits | undefined {
  let server: object | null = request.server;
  while (server !== null) {
    const found = limitsOf.get(server);
    if (found !== undefined) return found;
    server = Object.getPrototypeOf(server) as object | null;
  }
  return undefined;
}

async function spend(
  request: FastifyRequest,
  reply: FastifyReply,
  name: RateLimitName,
  source: () => RateLimitedSource,
): Promise<void> {
  const limits = limitsFor(request);
  const check = limits?.checks[name];
  if (limits === undefined || check === undefined) return;
  const result = await check(request).catch((error: unknown) => {
    // The plugin's Redis store reads its script's answer by callback, which ioredis hands the raw error (the hub's
    // client types outages on promises only): typed here, so an outage is a 503 not-ready, never a 500.
    throw isRedisUnavailable(error) ? new DependencyUnavailableError('redis', { cause: error }) : error;
  });
  if (result.isAllowed || !result.isExceeded) return;
  await limits.tally.count(name, result.key, source(), result.ttl);
  // A refusal already being answered may have set it (401, 403): a 429 asks for patience, not credentials.
  void reply.removeHeader('www-authenticate');
  void reply.header('retry-after', String(Math.max(1, result.ttlInSeconds)));
  throw new HubError('too-many-requests', RATE_LIMITED_DETAIL);
}

/** Spends one request of the caller's budget; over it, throws 429 `too-many-requests` (with `Retry-After`). */
export async function limitClient(request: FastifyRequest, reply: FastifyReply, caller: Caller): Promise<void> {
  checkedCallers.set(request, caller);
  await spend(request, reply, 'client', () => ({ kind: 'client', caller }));
}

/**
 * A request is about to be refused (401, 403, 400 at the token endpoint, 404): spends one of its source's budget,
 * the caller's when it is known (403), else the address's. Over it, throws 429 instead, and the refusal is counted
 * into the source's report rather than audited one by one. `@hub/auth` calls it before auditing a refusal.
 */
export async function limitRefusal(request: FastifyRequest, reply: FastifyReply, caller?: Caller): Promise<void> {
  if (caller !== undefined) {
    await limitClient(request, reply, caller);
    return;
  }
  await spend(request, reply, 'address', () => ({ kind: 'network', network: networkOf(request.ip) }));
}

/** The token endpoint's `onRequest` hook: one of the source address's token requests, before the body is read. */
export async function limitTokenRequest(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await spend(request, reply, 'token', () => ({ kind: 'network', network: networkOf(request.ip) }));
}
