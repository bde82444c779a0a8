import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type {
  ConnectionError,
  FastifyBaseLogger,
  FastifyError,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import fp from 'fastify-plugin';
import {
  DependencyUnavailableError,
  ERROR_CATALOGUE,
  HubError,
  isHttpErrorCode,
  problemTypeUri,
  type FieldError,
  type HttpErrorCode,
} from '@hub/errors';
import { withContext } from '@hub/logger';
import { z } from 'zod';
import { limitRefusal } from './rate-limit.ts';
import { contextOf, REQUEST_ID_HEADER, routeTemplate, safeRequestFields } from './request-context.ts';
import { toValidationError } from './zod.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, plus our stable `code` and the `requestId` to quote when reporting a problem. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /**
   * The matched route's template (`/v1/inboxes/{recipient}/notifications`), never the request path (paths can hold
   * NHS numbers). Absent when no route matched (404, 405, connection-level errors).
   */
  readonly instance?: string;
  readonly code: HttpErrorCode;
  readonly requestId: string;
  readonly errors?: readonly FieldError[];
  /** Extension members, e.g. `failedChecks` on a readiness failure. */
  readonly [extension: string]: unknown;
}

export interface ProblemInput {
  readonly code: HttpErrorCode;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * `Retry-After` (seconds) on every 503 `not-ready`: long enough for a broker leader election or a Redis failover
 * to finish, short enough that a gateway's retry does not stall a referral.
 */
export const NOT_READY_RETRY_AFTER_SECONDS = 5;

/** The detail of a request refused because Kafka or Redis could not be used. Names neither. */
export const DEPENDENCY_UNAVAILABLE_DETAIL =
  'The hub cannot record or read this right now because a service it depends on is unavailable; retry later.';

/** The detail of every 500: fixed, so nothing about the failure (message, stack, data) can reach the client. */
export const INTERNAL_DETAIL = 'An unexpected error occurred. Quote the requestId if you report it.';

export function problemBody(input: ProblemInput, requestId: string, instance: string | undefined): ProblemDetails {
  const entry = ERROR_CATALOGUE[input.code];
  return {
    ...input.extensions,
    type: problemTypeUri(input.code),
    title: entry.title,
    status: entry.status,
    detail: input.detail ?? entry.description,
    ...(instance === undefined ? {} : { instance }),
    code: input.code,
    requestId,
    ...(input.errors === undefined || input.errors.length === 0 ? {} : { errors: input.errors }),
  };
}

export function pathWithoutQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * Sends a problem+json response. The body is serialized here and sent as a Buffer, so route response schemas and
 * serializers never touch it and fastify does not append `; charset=utf-8` (JSON media types define no charset).
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, input: ProblemInput): FastifyReply {
  const body = problemBody(input, request.id, routeTemplate(request));
  if (input.code === 'not-ready') void reply.header('retry-after', String(NOT_READY_RETRY_AFTER_SECONDS));
  return reply
    .code(body.status)
    .header(REQUEST_ID_HEADER, request.id)
    .type(PROBLEM_CONTENT_TYPE)
    .send(Buffer.from(JSON.stringify(body)));
}

/** Fastify error codes that are the client's fault, and what they mean in our catalogue. */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, HttpErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
  FST_ERR_BAD_URL: 'bad-request',
  FST_ERR_MAX_PARAM_LENGTH: 'uri-too-long',
  FST_ERR_NOT_FOUND: 'not-found',
  FST_ERR_VALIDATION: 'validation-failed',
  FST_ERR_HANDLER_TIMEOUT: 'processing-timeout',
};

/** Errors from the request stream while the body is read: the client went away or broke the framing. */
const CLIENT_STREAM_ERRORS = new Set(['ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}

/**
 * Maps any thrown value to a problem. Only errors we recognise become 4xx; everything else is `internal`.
 * A ZodError thrown by a handler is taken to be about the body (the usual case of parsing `request.body` further);
 * for other parts, throw `toValidationError('query', error)` instead.
 */
export function problemFor(error: unknown): ProblemInput {
  if (error instanceof DependencyUnavailableError) {
    return { code: 'not-ready', detail: DEPENDENCY_UNAVAILABLE_DETAIL };
  }
  if (error instanceof HubError) {
    if (!isHttpErrorCode(error.code)) return { code: 'internal', detail: INTERNAL_DETAIL };
    if (error.code === 'internal') return { code: 'internal', detail: INTERNAL_DETAIL };
    return {
      code: error.code,
      detail: error.detail,
      ...(error.errors === undefined ? {} : { errors: error.errors }),
      ...(error.reason === undefined ? {} : { extensions: { reason: error.reason } }),
    };
  }
  if (error instanceof z.core.$ZodError) {
    return problemFor(toValidationError('body', error));
  }
  const code = errorCodeOf(error);
  if (code !== undefined) {
    const mapped = FASTIFY_CLIENT_ERRORS[code];
    if (mapped !== undefined) {
      return { code: mapped, detail: ERROR_CATALOGUE[mapped].description };
    }
    const status = statusCodeOf(error);
    const isClientFault = status !== undefined && status >= 400 && status < 500;
    if ((code.startsWith('FST_') && isClientFault) || CLIENT_STREAM_ERRORS.has(code)) {
      return { code: 'bad-request', detail: ERROR_CATALOGUE['bad-request'].description };
    }
  }
  return { code: 'internal', detail: INTERNAL_DETAIL };
}

/** The error handler of the root instance: every error becomes problem+json, and it never throws. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  withContext(contextOf(request.raw), () => {
    try {
      const problem = problemFor(error);
      const status = ERROR_CATALOGUE[problem.code].status;
      const fields = { ...safeRequestFields(request), code: problem.code, statusCode: status };
      if (problem.code === 'internal') {
        request.log.error({ ...fields, err: error }, 'request failed with an unexpected error');
      } else if (error instanceof DependencyUnavailableError) {
        request.log.warn({ ...fields, dependency: error.dependency }, 'request not served: dependency unavailable');
      } else if (status >= 500) {
        request.log.warn(fields, 'request not served');
      } else {
        request.log.info(fields, 'request rejected');
      }
      if (reply.sent) return;
      sendProblem(request, reply, problem);
    } catch (handlerError) {
      // Last resort: a fixed body, so a failure here can never leak the original error.
      request.log.error({ err: handlerError }, 'error handler failed');
      if (reply.sent) return;
      void reply
        .code(500)
        .header(REQUEST_ID_HEADER, request.id)
        .type(PROBLEM_CONTENT_TYPE)
        .send(
          Buffer.from(
            JSON.stringify(problemBody({ code: 'internal', detail: INTERNAL_DETAIL }, request.id, undefined)),
          ),
        );
    }
  });
}

const CANDIDATE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

function routeExists(request: FastifyRequest, method: (typeof CANDIDATE_METHODS)[number], url: string): boolean {
  // Typed as never null, but find-my-way returns null when no route matches (fastify lib/route.js findRoute).
  const found: unknown = request.server.findRoute({ method, url });
  return found !== null;
}

/** 405 with `Allow` when the path exists under other methods, else 404. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  withContext(contextOf(request.raw), () => {
    const url = pathWithoutQuery(request.url);
    const allowed = CANDIDATE_METHODS.filter(
      (method) => method !== request.method && routeExists(request, method, url),
    );
    const fields = { method: request.method };
    if (allowed.length > 0) {
      request.log.info({ ...fields, code: 'method-not-allowed', statusCode: 405 }, 'request rejected');
      void reply.header('allow', allowed.join(', '));
      sendProblem(request, reply, { code: 'method-not-allowed' });
      return;
    }
    request.log.info({ ...fields, code: 'not-found', statusCode: 404 }, 'request rejected');
    sendProblem(request, reply, { code: 'not-found' });
  });
}

/** fastify `frameworkErrors`: bad URL encoding and over-long path parameters, raised before any route runs. */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  handleError(error, request, reply);
}

/**
 * Connection-level errors (raised by Node before a request exists: request timeout, oversized headers, broken
 * HTTP). Answers problem+json on the raw socket; no path is known, so there is no `instance`.
 */
export function createClientErrorHandler(logger: FastifyBaseLogger): (error: ConnectionError, socket: Socket) => void {
  return (error, socket) => {
    // The peer is gone: nothing to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code: HttpErrorCode =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'request-timeout'
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? 'headers-too-large'
          : 'bad-request';
    const requestId = randomUUID();
    const problem = problemBody({ code }, requestId, undefined);
    logger.info({ requestId, code, statusCode: problem.status, errorCode: error.code }, 'connection error');
    const body = JSON.stringify(problem);
    if (socket.writable) {
      socket.write(
        [
          `HTTP/1.1 ${problem.status} ${problem.title}`,
          `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
          `Content-Length: ${Buffer.byteLength(body)}`,
          `${REQUEST_ID_HEADER}: ${requestId}`,
          'Connection: close',
          '',
          body,
        ].join('\r\n'),
      );
    }
    socket.destroy(error);
  };
}

/**
 * Installs the error handler and the not-found handler on the root instance. Wrapped with fastify-plugin so they are
 * not encapsulated: child contexts (e.g. authenticated routes) inherit them.
 */
const problemPluginCallback: FastifyPluginCallback = (app, _options, done) => {
  app.setErrorHandler(handleError);
  // An unknown path proves nobody: it spends its source address's budget (rate-limit.ts), before it is answered.
  app.setNotFoundHandler(
    { preHandler: (request: FastifyRequest, reply: FastifyReply) => limitRefusal(request, reply) },
    handleNotFound,
  );
  done();
};

export const problemPlugin = fp(problemPluginCallback, { name: '@hub/http/problem', fastify: '5.x' });
