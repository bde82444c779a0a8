export {
  createHttpServer,
  servedRoutes,
  HTTP_DEFAULTS,
  MAX_TRUSTED_PROXIES,
  trustedProxy,
  type HttpServer,
  type HttpServerOptions,
  type ObservedResponse,
} from './server.ts';
export { listen, closeGracefully, type BoundAddress, type CloseOutcome, type ListenOptions } from './lifecycle.ts';
export type { ReadinessCheck } from './health.ts';
export { PROBLEM_CONTENT_TYPE, sendProblem, type ProblemDetails, type ProblemInput } from './problem.ts';
export { REQUEST_ID_HEADER, routeTemplate } from './request-context.ts';
export {
  MAX_REPORTED_FIELD_ERRORS,
  jsonPointer,
  toValidationError,
  type RequestPart,
  type ZodTypeProvider,
} from './zod.ts';
// Types only, so services can type handlers and hooks without importing fastify themselves.
export type { FastifyReply as HttpReply, FastifyRequest as HttpRequest } from 'fastify';
export { opaqueCursor, type OpaqueCursor } from './cursor.ts';
export {
  bindRoute,
  catalogueCheck,
  routeKey,
  serveRoutes,
  type RouteBinding,
  type RouteGuard,
  type RouteInput,
} from './routes.ts';
export {
  limitRefusal,
  limitTokenRequest,
  networkOf,
  RATE_LIMIT_NAMES,
  RATE_LIMIT_WINDOW_MS,
  RATE_LIMITED_DETAIL,
  type RateLimitedSource,
  type RateLimitName,
  type RateLimitOptions,
  type RateLimitReport,
} from './rate-limit.ts';
