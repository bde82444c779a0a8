import { Redis } from 'ioredis';
import { DependencyUnavailableError } from '@hub/errors';
import { evalByHash } from './eval-by-hash.ts';

/**
 * The client services hold. An alias, so services type their fields with `RedisClient` from @hub/redis and never
 * import ioredis themselves.
 */
export type RedisClient = Redis;

/**
 * The part of a logger this package uses; a @hub/logger (pino) logger fits. Structural so @hub/redis needs no
 * dependency on the logger package.
 */
export interface RedisLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface CreateRedisOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). Never logged. */
  readonly url: string;
  /** Prepended by ioredis to every key argument, e.g. `hub:`; '' for none. Not applied to SCAN: see scanKeys. */
  readonly keyPrefix: string;
  /** Sent with CLIENT SETNAME (visible in CLIENT LIST) and written on this client's log lines. */
  readonly connectionName: string;
  readonly logger: RedisLogger;
  /** A command without a reply after this long rejects; default 5000. Also bounds waiting in the offline queue. */
  readonly commandTimeoutMs?: number;
  /** Each connection attempt gives up after this long; default 5000. */
  readonly connectTimeoutMs?: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Reconnection attempts a queued command waits through before it fails; see README "Behaviour when Redis is down". */
export const MAX_RETRIES_PER_REQUEST = 3;
const MAX_RECONNECT_DELAY_MS = 2_000;
const MAX_KEY_PREFIX_LENGTH = 128;
const CONNECTION_NAME = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * An ioredis client, connecting at once (`lazyConnect: false`) and reconnecting for ever with a capped backoff.
 *
 * Offline queue: kept ON, so commands issued before the first connection is ready (start-up) or during a short
 * blip wait for the connection instead of failing at once. It is bounded twice: `maxRetriesPerRequest` fails a
 * queued command after 3 reconnection attempts, and `commandTimeout` fails any command after 5 s. A long outage
 * therefore surfaces as errors within seconds (the caller's message is retried by Kafka), never as a hang.
 *
 * Connection problems are logged with the connection name and error code only: never the URL or its password.
 */
export function createRedis(options: CreateRedisOptions): RedisClient {
  const { url, keyPrefix, connectionName, logger } = options;
  const target = parseRedisUrl(url);
  if (keyPrefix.length > MAX_KEY_PREFIX_LENGTH) {
    throw new RangeError(`Redis keyPrefix must be at most ${MAX_KEY_PREFIX_LENGTH} characters`);
  }
  if (!CONNECTION_NAME.test(connectionName)) {
    throw new RangeError('Redis connectionName must be 1 to 64 letters, digits, dots, colons, underscores or hyphens');
  }

  const client = new Redis(url, {
    keyPrefix,
    connectionName,
    lazyConnect: false,
    enableOfflineQueue: true,
    // Commands issued in the same event-loop tick go out as one pipeline: one socket write and one read for many
    // concurrent handlers' commands instead of one each (issue 10; README "One write per tick").
    enableAutoPipelining: true,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    // ioredis only turns TLS on for a lower-case "rediss://"; decide from the parsed protocol instead.
    ...(target.tls ? { tls: {} } : {}),
  });

  typeUnavailability(client);
  evalByHash(client);

  // Errors repeat on every reconnection attempt; log each distinct one once per outage.
  let lastLogged: string | undefined;
  client.on('error', (error: unknown) => {
    const fields = describeError(error, target.secrets);
    const signature = `${fields.code ?? ''} ${fields.reason}`;
    if (signature === lastLogged) return;
    lastLogged = signature;
    logger.warn({ connectionName, ...fields }, 'redis connection error');
  });
  client.on('reconnecting', (delayMs: number) => {
    logger.debug({ connectionName, delayMs }, 'redis reconnecting');
  });
  client.on('ready', () => {
    lastLogged = undefined;
    logger.info({ connectionName }, 'redis ready');
  });
  client.on('end', () => {
    logger.info({ connectionName }, 'redis connection closed');
  });
  return client;
}

/**
 * Server replies that mean "not now" rather than "wrong command": the server is loading, read-only, without enough
 * replicas, out of memory or cannot persist, or a cluster or script is busy.
 */
const UNAVAILABLE_REPLIES = /^(NOREPLICAS|READONLY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|MISCONF|OOM)\b/;
/** ioredis's own messages for a command that never reached a working connection. */
const UNAVAILABLE_MESSAGES = [
  'Command timed out',
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
];
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Whether a command failed because Redis could not be used, not because of the command. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (UNAVAILABLE_MESSAGES.includes(error.message) || UNAVAILABLE_REPLIES.test(error.message)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && UNAVAILABLE_CODES.has(code);
}

/**
 * Every command sent through this client (single commands, Lua scripts, and EXEC of a MULTI or pipeline) rejects
 * with DependencyUnavailableError('redis') instead of ioredis's own error when Redis could not be used, so a
 * request that depends on Redis is answered 503 `not-ready` by @hub/http wherever it calls Redis from. Other
 * errors (a wrong command, a NOSCRIPT that ioredis handles itself) pass through unchanged.
 */
function typeUnavailability(client: Redis): void {
  const typed = (error: unknown): unknown =>
    // A client closed on purpose (closeRedis) is not an outage: its "Connection is closed" stays as it is.
    client.status !== 'end' && isRedisUnavailable(error)
      ? new DependencyUnavailableError('redis', { cause: error })
      : error;
  const mapError = (error: unknown): never => {
    throw typed(error);
  };
  const mapped = new WeakSet<SentCommand>();
  // Patched on the instance: ioredis has no hook for command errors. Typed loosely, as ioredis's overloads are. The
  // command's own reject is wrapped, not the promise sendCommand answers: pipelines (auto-pipelined commands among
  // them) read each command's own promise, so only there does the mapping reach every caller.
  const commands = client as unknown as { sendCommand: (command: SentCommand, ...rest: unknown[]) => unknown };
  const sendCommand = commands.sendCommand.bind(client);
  commands.sendCommand = (command: SentCommand, ...rest: unknown[]) => {
    // A command is sent again from the offline queue after a reconnection: wrap it once.
    if (!mapped.has(command)) {
      mapped.add(command);
      const reject = command.reject.bind(command);
      command.reject = (error: unknown) => {
        reject(typed(error));
      };
    }
    return sendCommand(command, ...rest);
  };
  const methods = client as unknown as Record<'multi' | 'pipeline', (...args: unknown[]) => unknown>;
  for (const method of ['multi', 'pipeline'] as const) {
    const original = methods[method].bind(client);
    methods[method] = (...args: unknown[]) => {
      const batch = original(...args) as { exec?: (...execArgs: unknown[]) => Promise<unknown> };
      // multi({ pipeline: false }) answers a promise, not a batch; leave that as it is.
      const exec = batch.exec?.bind(batch);
      if (exec !== undefined) {
        batch.exec = (...execArgs: unknown[]) => {
          const result = exec(...execArgs).catch(mapError);
          // Auto-pipelining runs exec with a callback and never reads this promise: it must not be an unhandled one.
          result.catch(() => undefined);
          return result;
        };
      }
      return batch;
    };
  }
}

/** The part of an ioredis Command that typeUnavailability uses. */
interface SentCommand {
  reject: (error: unknown) => void;
}

interface RedisTarget {
  readonly tls: boolean;
  /** Strings that must never reach a log line: the URL and its credentials, raw and decoded. */
  readonly secrets: readonly string[];
}

/** Validates the URL without ever putting it in an error message. */
export function parseRedisUrl(url: string): RedisTarget {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (
    parsed === undefined ||
    (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') ||
    parsed.hostname === ''
  ) {
    throw new TypeError('Redis URL must be redis://host:port or rediss://host:port (value not shown)');
  }
  const secrets = new Set<string>([url]);
  for (const part of [parsed.password, parsed.username]) {
    if (part !== '') {
      secrets.add(part);
      secrets.add(safeDecode(part));
    }
  }
  return { tls: parsed.protocol === 'rediss:', secrets: [...secrets].sort((a, b) => b.length - a.length) };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export interface ErrorFields {
  readonly code?: string;
  readonly errorName: string;
  readonly reason: string;
}

/**
 * An error as log fields, with every secret cut out of the message. Not the Error itself: a serialised stack
 * repeats the message, and a nested cause could carry the URL.
 */
export function describeError(error: unknown, secrets: readonly string[]): ErrorFields {
  const errorName = error instanceof Error ? error.name : typeof error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  let reason = error instanceof Error ? error.message : String(error);
  for (const secret of secrets) reason = reason.replaceAll(secret, '[hidden]');
  // Node reports a refused dual-stack connection as an AggregateError with an empty message; the code says it all.
  if (reason === '') reason = 'connection failed';
  return typeof code === 'string' ? { code, errorName, reason } : { errorName, reason };
}

/**
 * Readiness: resolves when Redis answers PING with PONG, rejects when it does not within `timeoutMs` (or the
 * connection is closed). The pending command is abandoned on timeout, not cancelled.
 */
export async function pingRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  assertPositiveMs(timeoutMs, 'timeoutMs');
  // Typed 'PONG' by ioredis; checked anyway, readiness must not be assumed.
  const reply: string = await withTimeout(client.ping(), timeoutMs, `Redis did not answer PING within ${timeoutMs} ms`);
  if (reply !== 'PONG') throw new Error('Redis answered PING with something other than PONG');
}

const closing = new WeakMap<RedisClient, Promise<void>>();

/**
 * Graceful shutdown: QUIT (pending replies arrive first), falling back to dropping the connection when Redis is
 * not connected or does not answer within `timeoutMs`. Safe to call more than once, also concurrently: later calls
 * get the first call's promise. Never rejects.
 */
export function closeRedis(client: RedisClient, timeoutMs = 2_000): Promise<void> {
  assertPositiveMs(timeoutMs, 'timeoutMs');
  const pending = closing.get(client);
  if (pending !== undefined) return pending;
  const done = close(client, timeoutMs);
  closing.set(client, done);
  return done;
}

async function close(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  // Registered first: 'end' can follow QUIT's reply within the same tick.
  const ended = new Promise<void>((resolve) => client.once('end', resolve));
  if (client.status === 'ready') {
    try {
      // QUIT's reply comes before the socket closes; resolve only once it has, so nothing is left open.
      await withTimeout(
        flushAutoPipeline(client)
          .then(() => client.quit())
          .then(() => ended),
        timeoutMs,
        'QUIT timed out',
      );
      return;
    } catch {
      // fall through: drop the connection
    }
  }
  if (client.status === 'reconnecting') {
    // Between attempts there is no socket, so disconnect() alone would clear the timer but never reach 'end'
    // (status stays 'reconnecting' and later commands sit in the offline queue). Start the attempt now and
    // abort it: ioredis then ends the client the normal way.
    client.disconnect();
    client.connect().catch(() => undefined);
  }
  client.disconnect();
  // disconnect() half-closes and waits for the server's side; a server that stopped answering may never send it.
  (client.stream as RedisClient['stream'] | undefined)?.destroy();
  if (!hasEnded(client)) await withTimeout(ended, timeoutMs, 'disconnect timed out').catch(() => undefined);
}

/**
 * Commands issued but not yet written (auto-pipelining sends them at setImmediate) are sent and answered before QUIT,
 * which ioredis writes at once: a PING queued after them resolves once they have been.
 */
async function flushAutoPipeline(client: RedisClient): Promise<void> {
  if (client.autoPipelineQueueSize > 0) await client.ping();
}

/** A function, not an inline check: TypeScript would keep the narrowing from before disconnect(). */
function hasEnded(client: RedisClient): boolean {
  return client.status === 'end';
}

export interface ScanKeysOptions {
  /** SCAN's COUNT hint per round trip; default 100. */
  readonly batchSize?: number;
  /** Rejects rather than returning a partial list when more keys match; default 10 000. */
  readonly maxKeys?: number;
  /**
   * Checked before each round trip: once it aborts, the scan rejects with its reason (a scan walks the whole
   * keyspace, however few keys match: a background loop stopping must not wait for the rest of it).
   */
  readonly signal?: AbortSignal;
}

export const DEFAULT_SCAN_MAX_KEYS = 10_000;
const MAX_PATTERN_LENGTH = 1_024;

/**
 * The keys matching a glob `pattern` under this client's key prefix, with the prefix stripped, so the result can
 * be passed straight back to other commands (which add the prefix again). ioredis does not prefix SCAN's MATCH
 * argument; this does, escaping glob characters in the prefix. Order is unspecified; no duplicates.
 */
export async function scanKeys(client: RedisClient, pattern: string, options: ScanKeysOptions = {}): Promise<string[]> {
  const { batchSize = 100, maxKeys = DEFAULT_SCAN_MAX_KEYS, signal } = options;
  if (pattern === '' || pattern.length > MAX_PATTERN_LENGTH) {
    throw new RangeError(`scanKeys pattern must be 1 to ${MAX_PATTERN_LENGTH} characters`);
  }
  assertPositiveInt(batchSize, 'batchSize');
  assertPositiveInt(maxKeys, 'maxKeys');
  const prefix = client.options.keyPrefix ?? '';
  const match = escapeGlob(prefix) + pattern;
  const keys = new Set<string>();
  let cursor = '0';
  do {
    signal?.throwIfAborted();
    const [next, batch] = await client.scan(cursor, 'MATCH', match, 'COUNT', batchSize);
    for (const key of batch) {
      keys.add(key.slice(prefix.length)); // MATCH guarantees the prefix
      if (keys.size > maxKeys) throw new RangeError(`more than ${maxKeys} keys match the pattern`);
    }
    cursor = next;
  } while (cursor !== '0');
  return [...keys];
}

/** Makes a literal string safe inside a Redis glob pattern. */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(message));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function assertPositiveMs(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of ms`);
}

function assertPositiveInt(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
}
