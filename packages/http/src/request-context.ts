import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginCallback,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import fp from 'fastify-plugin';
import { withContext, type LogContext } from '@hub/logger';
import { NO_TRACING, parseTraceparent, spanContext, type HubSpan, type HubTracer } from '@hub/tracing';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Accepted incoming request ids: a UUID (any version, either case), nothing else. A free-form id is where a gateway
 * ends up putting a case reference or an NHS number (one reached the log); a UUID is what gateways generate. Any
 * other value is dropped unread and a new UUID is made, so client-chosen text is never echoed or logged.
 */
export const SAFE_REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requestIdFromHeader(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : undefined;
}

/**
 * The log context and span of each request, made once from the raw request when fastify asks for the request id (the
 * first thing it does) and looked up again by every hook and log call. WeakMaps, so nothing outlives the request.
 */
const contexts = new WeakMap<IncomingMessage, LogContext>();
const spans = new WeakMap<IncomingMessage, HubSpan>();

/**
 * Health probes arrive every few seconds from the orchestrator: their spans are ids only, never recorded. (The raw
 * path is read only to decide this; it is never recorded or logged.)
 */
const untraced = (raw: IncomingMessage) => raw.url?.startsWith('/health/') === true;

/**
 * The request's span (a child of the caller's `traceparent` when it sent a valid one) and its log context: the
 * span's trace and span ids, and the request id. Everything the request publishes names this span as its parent.
 */
function openContext(raw: IncomingMessage, tracer: HubTracer): LogContext {
  let context = contexts.get(raw);
  if (context === undefined) {
    const parent = parseTraceparent(raw.headers['traceparent']);
    const span = (untraced(raw) ? NO_TRACING : tracer).serverSpan(raw.method ?? '', parent);
    context = spanContext(span, { requestId: requestIdFromHeader(raw.headers[REQUEST_ID_HEADER]) ?? randomUUID() });
    contexts.set(raw, context);
    spans.set(raw, span);
  }
  return context;
}

export function contextOf(raw: IncomingMessage): LogContext {
  return openContext(raw, NO_TRACING);
}

/** fastify `genReqId` for a server tracing with `tracer`: the incoming `x-request-id` when it is a UUID, else a new UUID. */
export function genReqIdWith(tracer: HubTracer): (raw: IncomingMessage) => string {
  return (raw) => openContext(raw, tracer)['requestId'] ?? randomUUID();
}

/** Ends the request's span with its route template and status; once, whichever of answer or abort comes first. */
export function endRequestSpan(request: FastifyRequest, status: number | 'aborted'): void {
  const span = spans.get(request.raw);
  if (span === undefined) return;
  spans.delete(request.raw);
  if (status === 'aborted') span.fail('aborted');
  else span.answered(routeTemplate(request), status);
  span.end();
}

/**
 * fastify `childLoggerFactory`: the request logger gets no `reqId` binding because `requestId` and `traceId` come
 * from the @hub/logger context (mixin) on every line, and a binding would print them twice.
 */
export function childLoggerFactory(
  this: FastifyInstance,
  logger: FastifyBaseLogger,
  _bindings: unknown,
  options: Parameters<FastifyBaseLogger['child']>[1],
): FastifyBaseLogger {
  return logger.child({}, options);
}

/** What a log line may say about a request: method and route pattern. Never the URL (query strings can carry NHS
 * numbers), headers (authorization) or body. */
export function safeRequestFields(request: FastifyRequest): { method: string; route: string | undefined } {
  return { method: request.method, route: routePattern(request) };
}

function routePattern(request: FastifyRequest): string | undefined {
  // Unmatched requests have no pattern; their path is attacker-chosen and may hold personal data, so omit it.
  return request.is404 ? undefined : request.routeOptions.url;
}

/**
 * The matched route as an OpenAPI-style template (`/v1/inboxes/{recipient}/notifications`), or undefined when no
 * route matched. What problem `instance` and audit records say instead of the URL, whose path can hold NHS numbers.
 */
export function routeTemplate(request: FastifyRequest): string | undefined {
  const pattern = routePattern(request);
  return pattern?.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** pino serializer for `req`, replacing fastify's default (which logs the URL with its query string). */
export function serializeRequest(request: unknown): Record<string, unknown> {
  if (typeof request === 'object' && request !== null && 'routeOptions' in request && 'method' in request) {
    return safeRequestFields(request as FastifyRequest);
  }
  return {};
}

function isHealthRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url?.startsWith('/health/') === true;
}

/**
 * Fastify's own per-request log lines, run inside the request's log context so they carry `requestId` and
 * `traceId`, and reduced to safe fields. Health probes are not logged (they arrive every few seconds).
 */
export class HubLogController extends LogController {
  constructor() {
    super({ disableRequestLogging: isHealthRoute });
  }

  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    withContext(contextOf(request.raw), () => {
      request.log.debug(safeRequestFields(request), 'request received');
    });
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    withContext(contextOf(request.raw), () => {
      const fields = {
        ...safeRequestFields(request),
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime),
      };
      if (error) {
        // A response that failed while being written (e.g. a stream error); the error handler has not seen it.
        reply.log.error({ ...fields, err: error }, 'request failed after the response started');
      } else {
        reply.log.info(fields, 'request completed');
      }
    });
  }

  override routeNotFound(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    withContext(contextOf(request.raw), () => {
      request.log.info({ method: request.method }, 'route not found');
    });
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    withContext(contextOf(request.raw), () => {
      super.defaultErrorLog(error, request, reply);
    });
  }

  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    withContext(contextOf(request.raw), () => {
      super.streamError(error, request, reply);
    });
  }

  override writeHeadError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    withContext(contextOf(request.raw), () => {
      reply.log.warn({ ...safeRequestFields(request), err: error }, 'writing response headers failed');
    });
  }

  override serializerError(
    error: Error,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata: { statusCode: number },
  ): void {
    withContext(contextOf(request.raw), () => {
      super.serializerError(error, request, reply, metadata);
    });
  }
}

/**
 * Runs every request's hooks and handler inside `withContext({ requestId, traceId })` and echoes the request id.
 * Entering the context in the first onRequest hook is enough: fastify carries the async context across body
 * parsing (an AsyncResource in its content-type parser), which lifecycle.int.test.ts checks over a real socket.
 * Wrapped with fastify-plugin so the hooks land on the root instance and so apply to every route in every child
 * context, including authenticated ones registered later.
 */
const requestContextPluginCallback: FastifyPluginCallback = (app, _options, done) => {
  app.addHook('onRequest', (request, reply, next) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    withContext(contextOf(request.raw), () => {
      next();
    });
  });
  done();
};

export const requestContextPlugin = fp(requestContextPluginCallback, {
  name: '@hub/http/request-context',
  fastify: '5.x',
});
