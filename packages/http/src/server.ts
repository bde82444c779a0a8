import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpRoute } from '@hub/contracts';
import { HubError } from '@hub/errors';
import type { Logger } from '@hub/logger';
import { NO_TRACING, type HubTracer } from '@hub/tracing';
import { registerHealthRoutes, type ReadinessCheck } from './health.ts';
import { createClientErrorHandler, handleFrameworkError, problemPlugin } from './problem.ts';
import { registerRateLimits, type RateLimitOptions } from './rate-limit.ts';
import { refuseUnservable } from './request-guards.ts';
import { catalogueCheck } from './routes.ts';
import {
  childLoggerFactory,
  endRequestSpan,
  genReqIdWith,
  HubLogController,
  requestContextPlugin,
  routeTemplate,
  serializeRequest,
} from './request-context.ts';
import { zodSerializerCompiler, zodValidatorCompiler, type ZodTypeProvider } from './zod.ts';

/** The instance createHttpServer returns: fastify with the zod type provider, so route schemas type the request. */
export type HttpServer = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface HttpServerOptions {
  /** Our pino logger (@hub/logger); used as fastify's `loggerInstance`. */
  readonly logger: Logger;
  /** Shown by the health routes, e.g. `police-gateway`. */
  readonly serviceName: string;
  /** Run by `GET /health/ready`; default none (always ready). Names must be unique. */
  readonly readinessChecks?: readonly ReadinessCheck[];
  /** Largest accepted request body in bytes; default 64 KiB. Larger bodies get 413 `payload-too-large`. */
  readonly bodyLimitBytes?: number;
  /** Time allowed to receive the whole request (headers and body) from the client; default 10 s. Then 408. */
  readonly requestTimeoutMs?: number;
  /** Time allowed for a route to respond once received; default 10 s. Then 503 `processing-timeout`. */
  readonly handlerTimeoutMs?: number;
  /** Time each readiness check may take before it counts as failed; default 1 s. */
  readonly readinessTimeoutMs?: number;
  /**
   * The routes this server may serve (the hub passes `ALL_HTTP_ROUTES` of `@hub/contracts`): adding any other route
   * fails at start-up. `servedRoutes(app)` lists what was added. Only this package's own tests of HTTP mechanics
   * leave it out (then any route may be added).
   */
  readonly catalogue?: readonly HttpRoute[];
  /**
   * Rate limits per client and per source address, counted in Redis (see "Rate limits" in the README). Left out
   * only by this package's own tests of HTTP mechanics: then nothing is limited.
   */
  readonly rateLimits?: RateLimitOptions;
  /**
   * Gateways in front of the server (addresses or CIDR ranges, `trustedProxy`) whose `X-Forwarded-For` is believed:
   * `request.ip`, which the address rate limits key on, is then the last address they forwarded. None (default): the
   * peer is the source and `X-Forwarded-For` is ignored, since any client can write one.
   */
  readonly trustedProxies?: readonly string[];
  /**
   * A span per request (`@hub/tracing`), child of the caller's `traceparent`, named by its route template; default
   * none (ids only: the request's trace id still reaches its logs and what it publishes).
   */
  readonly tracer?: HubTracer;
  /** Told of every answered request (metrics); what it gets holds nothing a client wrote but the method. */
  readonly observeResponse?: (response: ObservedResponse) => void;
}

/** One answered request, as `observeResponse` sees it. */
export interface ObservedResponse {
  /** The contract's path template (`/v1/inboxes/{recipient}/notifications`); undefined when no route matched. */
  readonly route: string | undefined;
  readonly method: string;
  readonly statusCode: number;
  readonly durationMs: number;
}

/** One trusted gateway: an IPv4 or IPv6 address or CIDR range. */
export const trustedProxy = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);
/** Gateways are a handful; a longer list is a mistake. */
export const MAX_TRUSTED_PROXIES = 20;

const servedByApp = new WeakMap<object, () => readonly string[]>();

/** `METHOD /path` (OpenAPI form) of every route the server serves, sorted; compare with the catalogue. */
export function servedRoutes(app: HttpServer): readonly string[] {
  return servedByApp.get(app)?.() ?? [];
}

/** Every limit in one place. Values not exposed as options are deliberate and rarely need changing. */
export const HTTP_DEFAULTS = {
  bodyLimitBytes: 64 * 1024,
  requestTimeoutMs: 10_000,
  handlerTimeoutMs: 10_000,
  readinessTimeoutMs: 1_000,
  /** Time to receive the request line and headers; capped by the request timeout (Node requires <=). */
  headersTimeoutMs: 5_000,
  /** Request line plus headers, in bytes (Node's default, set explicitly). Also bounds URL and query length. */
  maxHeaderSizeBytes: 16 * 1024,
  /** Longest path parameter; longer gets 414 `uri-too-long`. */
  maxParamLength: 100,
  /**
   * Idle keep-alive sockets are kept this long. Longer than common load balancer idle timeouts (60 s), so the
   * balancer, not us, closes idle connections and never reuses one we just closed (which would be a 502).
   */
  keepAliveTimeoutMs: 72_000,
  /** How often Node sweeps for request and header timeouts; its default of 30 s would make them 30 s late. */
  connectionsCheckingIntervalMs: 1_000,
  /** Extra socket inactivity allowed on top of the request and handler timeouts before the socket is dropped. */
  socketIdleMarginMs: 5_000,
} as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`createHttpServer: ${name} must be a positive integer, got ${value}.`);
  }
  return value;
}

function trustedProxiesOf(proxies: readonly string[] | undefined): false | string[] {
  if (proxies === undefined || proxies.length === 0) return false;
  if (proxies.length > MAX_TRUSTED_PROXIES) {
    throw new Error(`createHttpServer: at most ${MAX_TRUSTED_PROXIES} trusted proxies, got ${proxies.length}.`);
  }
  for (const proxy of proxies) {
    if (!trustedProxy.safeParse(proxy).success) {
      throw new Error('createHttpServer: trustedProxies must be IP addresses or CIDR ranges.');
    }
  }
  return [...proxies];
}

function checkNames(checks: readonly ReadinessCheck[]): readonly ReadinessCheck[] {
  const names = checks.map((check) => check.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new Error(`createHttpServer: duplicate readiness check name "${duplicate}".`);
  return checks;
}

/**
 * Builds the fastify instance (not listening) with the hub's cross-cutting behaviour: request ids and trace
 * context, RFC 9457 problem+json for every error, zod route schemas, health routes and explicit limits.
 * Tests call `app.inject()`; production calls `listen(app, ...)` and `closeGracefully(app, ...)`.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const bodyLimit = positiveInteger('bodyLimitBytes', options.bodyLimitBytes ?? HTTP_DEFAULTS.bodyLimitBytes);
  const requestTimeout = positiveInteger(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? HTTP_DEFAULTS.requestTimeoutMs,
  );
  const handlerTimeout = positiveInteger(
    'handlerTimeoutMs',
    options.handlerTimeoutMs ?? HTTP_DEFAULTS.handlerTimeoutMs,
  );
  const readinessTimeoutMs = positiveInteger(
    'readinessTimeoutMs',
    options.readinessTimeoutMs ?? HTTP_DEFAULTS.readinessTimeoutMs,
  );
  const readinessChecks = checkNames(options.readinessChecks ?? []);

  // Our `req` serializer replaces fastify's default one, which logs the URL with its query string.
  const logger: FastifyBaseLogger = options.logger.child({}, { serializers: { req: serializeRequest } });

  const app = Fastify({
    loggerInstance: logger,
    logController: new HubLogController(),
    childLoggerFactory,
    genReqId: genReqIdWith(options.tracer ?? NO_TRACING),
    requestIdHeader: false,
    bodyLimit,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestTimeout,
    handlerTimeout,
    connectionTimeout: Math.max(requestTimeout, handlerTimeout) + HTTP_DEFAULTS.socketIdleMarginMs,
    keepAliveTimeout: HTTP_DEFAULTS.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(HTTP_DEFAULTS.headersTimeoutMs, requestTimeout),
      requestTimeout,
      maxHeaderSize: HTTP_DEFAULTS.maxHeaderSizeBytes,
      connectionsCheckingInterval: HTTP_DEFAULTS.connectionsCheckingIntervalMs,
      // Node's own answer to a missing Host is a bare 400; refuseUnservable answers it as problem+json.
      requireHostHeader: false,
    },
    routerOptions: { maxParamLength: HTTP_DEFAULTS.maxParamLength },
    // One route per catalogue entry: no automatic HEAD twins.
    exposeHeadRoutes: false,
    trustProxy: trustedProxiesOf(options.trustedProxies),
    // On close, idle keep-alive sockets are closed at once; sockets with a request in flight are left to finish.
    forceCloseConnections: 'idle',
    // Fastify's own 503-on-close answers plain JSON; the onRequest hook below answers problem+json instead.
    return503OnClosing: false,
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: createClientErrorHandler(logger),
  }).withTypeProvider<ZodTypeProvider>();

  if (options.catalogue !== undefined) {
    const catalogue = catalogueCheck(options.catalogue);
    app.addHook('onRoute', catalogue.onRoute);
    servedByApp.set(app, catalogue.served);
  }

  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);
  // JSON only: without this, text/plain bodies would reach handlers as strings.
  app.removeContentTypeParser('text/plain');

  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  void app.register(requestContextPlugin);
  void app.register(problemPlugin);

  // Requests that reach us after close() began (on a connection that was already open) are refused, so a load
  // balancer moves them elsewhere; requests already in flight run to completion.
  app.addHook('onRequest', (_request, _reply, done) => {
    done(closing ? new HubError('not-ready', 'The service is shutting down.') : undefined);
  });

  app.addHook('onRequest', refuseUnservable);

  app.addHook('onResponse', (request, reply, done) => {
    endRequestSpan(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    endRequestSpan(request, 'aborted');
    done();
  });

  const observe = options.observeResponse;
  if (observe !== undefined) {
    app.addHook('onResponse', (request, reply, done) => {
      observe({
        route: routeTemplate(request),
        method: request.method,
        statusCode: reply.statusCode,
        durationMs: reply.elapsedTime,
      });
      done();
    });
  }

  if (options.rateLimits !== undefined) registerRateLimits(app, options.rateLimits, options.logger);

  registerHealthRoutes(app, { readinessChecks, readinessTimeoutMs, serviceName: options.serviceName });

  return app;
}
