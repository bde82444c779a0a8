import { routeUrl, type Caller, type ClientRole, type HttpRoute, type HubViewName } from '@hub/contracts';
import { HubError } from '@hub/errors';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { z } from 'zod';
import { limitClient } from './rate-limit.ts';
import type { HttpServer } from './server.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The contract entry a route was served from (`serveRoutes`). */
    operationId?: string;
  }
}

/**
 * Routes bound to their contract entry (`HTTP_ROUTES` in `@hub/contracts`): the entry gives the method, path, roles,
 * params, query, body and response schemas; the service supplies only the handler. The same entry generates the
 * OpenAPI document, so what is served and what is documented cannot drift.
 */

type OutputOf<S> = S extends z.ZodType ? z.output<S> : undefined;
type SuccessStatus<R extends HttpRoute> = keyof R['responses'] & number;
type ResponseOf<R extends HttpRoute> = R['responses'][SuccessStatus<R>] extends { readonly schema: infer S }
  ? S extends z.ZodType
    ? z.input<S>
    : never
  : never;
type BodyOf<R extends HttpRoute> = R['body'] extends { readonly schema: infer S } ? OutputOf<S> : undefined;

/** What a bound handler gets: the parsed request parts and, on a protected route, the authenticated caller. */
export interface RouteInput<R extends HttpRoute> {
  readonly params: OutputOf<R['params']>;
  readonly query: OutputOf<R['query']>;
  readonly body: BodyOf<R>;
  readonly caller: R['roles'] extends readonly [] ? undefined : Caller;
  /** For its logger and headers; the parts above are already validated. */
  readonly request: FastifyRequest;
  /** For response headers that depend on the answer (e.g. `location`); the status and fixed headers are set. */
  readonly reply: FastifyReply;
}

export interface RouteBinding<R extends HttpRoute = HttpRoute> {
  readonly route: R;
  /** Answers the success body (the route's one success status). Method syntax: bindings of any route share a list. */
  handle(input: RouteInput<R>): Promise<ResponseOf<R>>;
}

export function bindRoute<R extends HttpRoute>(
  route: R,
  handle: (input: RouteInput<R>) => Promise<ResponseOf<R>>,
): RouteBinding<R> {
  return { route, handle };
}

/**
 * Decides who may call a protected route: resolves to the caller, or throws `unauthenticated` / `forbidden` (with
 * any header a refusal needs already on `reply`). `@hub/auth` supplies it; it is never skipped for a route with roles.
 */
export type RouteGuard = (
  request: FastifyRequest,
  reply: FastifyReply,
  roles: readonly ClientRole[],
  /** The contract entry: its `principals` say whether a console session may stand for a bearer token. */
  route: HttpRoute,
) => Promise<Caller>;

/** The one success status of a route; a contract entry with none or several is refused at start-up. */
function successStatus(route: HttpRoute): number {
  const statuses = Object.keys(route.responses).map(Number);
  if (statuses.length !== 1 || statuses[0] === undefined) {
    throw new Error(`route ${route.operationId} must declare exactly one success response`);
  }
  return statuses[0];
}

/**
 * Whether a Redis view is built and not lost (`@hub/runtime` supplies it from the views' generation markers, asking
 * Redis on each request). A route whose contract entry `reads` a view that is not ready is answered 503 `not-ready`
 * before it runs.
 */
export type ViewReadiness = (view: HubViewName) => boolean | Promise<boolean>;

const callers = new WeakMap<object, Caller>();
/** The onRequest hooks serveRoutes puts in front of protected routes: `catalogueCheck` refuses a route without one. */
const guardHooks = new WeakSet<object>();

/**
 * Registers each binding from its contract entry. Public routes (no roles) get no guard; every other one runs the
 * guard in its own `onRequest` hook, after the server-wide hooks and before the body is read, validated or handled.
 * A route whose entry `reads` views then asks `viewReady` about each: one not ready answers 503 `not-ready` (with
 * Retry-After), so a lost or half-built view is never answered as if it were empty. Such a route served without
 * `viewReady` is refused at start-up.
 */
export function serveRoutes(
  app: HttpServer,
  bindings: readonly RouteBinding[],
  guard: RouteGuard,
  viewReady?: ViewReadiness,
): void {
  for (const binding of bindings) {
    const { route } = binding;
    const reads = route.reads ?? [];
    if (reads.length > 0 && viewReady === undefined) {
      throw new Error(`route ${route.operationId} reads views (${reads.join(', ')}): serve it with their readiness`);
    }
    const status = successStatus(route);
    const response = route.responses[status];
    // `cache-control`, `pragma` and `content-type`, when a contract lists them, are the exact values sent.
    const fixed = Object.entries(response?.headers ?? {}).filter(
      ([name]) => name === 'cache-control' || name === 'pragma' || name === 'content-type',
    );
    // A file (its bytes or text) or no body is sent as the handler answers it; only JSON has a schema to serialise.
    const json = (response?.body ?? 'json') === 'json';
    const options: RouteOptions = {
      method: route.method.toUpperCase(),
      url: routeUrl(route),
      schema: {
        ...(route.params === undefined ? {} : { params: route.params }),
        ...(route.query === undefined ? {} : { querystring: route.query }),
        ...(route.body === undefined ? {} : { body: route.body.schema }),
        ...(json ? { response: { [status]: response?.schema } } : {}),
      },
      config: { operationId: route.operationId },
      handler: async (request, reply) => {
        void reply.code(status);
        for (const [name, value] of fixed) void reply.header(name, value);
        return binding.handle({
          params: request.params,
          query: request.query,
          body: request.body,
          caller: callers.get(request),
          request,
          reply,
        } as RouteInput<HttpRoute>);
      },
    };
    const rest = route.pathRest === true ? /\{([A-Za-z0-9_]+)\}$/.exec(route.path)?.[1] : undefined;
    if (rest !== undefined) {
      // fastify names a wildcard `*`: the contract's name for it, before the params schema checks it.
      options.preValidation = (request, _reply, done) => {
        request.params = { [rest]: (request.params as Record<string, string | undefined>)['*'] ?? '' };
        done();
      };
    }
    const onRequest: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>)[] = [];
    if (route.roles.length > 0) {
      const roles = route.roles;
      const guardHook = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
        const caller = await guard(request, reply, roles, route);
        callers.set(request, caller);
        // After the guard: a client's budget is spent only by requests it made (rate-limit.ts).
        await limitClient(request, reply, caller);
      };
      guardHooks.add(guardHook);
      onRequest.push(guardHook);
    }
    if (reads.length > 0 && viewReady !== undefined) {
      // After the guard: an unauthenticated caller learns nothing, not even that a view is being rebuilt.
      onRequest.push(async (): Promise<void> => {
        const ready = await Promise.all(reads.map(async (view) => viewReady(view)));
        const missing = reads.filter((_, index) => ready[index] !== true);
        if (missing.length === 0) return;
        throw new HubError(
          'not-ready',
          `The ${missing.join(', ')} view is being built or rebuilt, so this route cannot answer completely; retry later.`,
        );
      });
    }
    if (onRequest.length > 0) options.onRequest = onRequest;
    app.route(options);
  }
}

/** `METHOD /path` in OpenAPI form, the key the catalogue and the served routes are compared by. */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

function guarded(onRequest: unknown): boolean {
  const hooks: unknown[] = Array.isArray(onRequest) ? onRequest : [onRequest];
  return hooks.some((hook) => typeof hook === 'function' && guardHooks.has(hook));
}

/**
 * An `onRoute` hook that refuses (at start-up) any route the catalogue does not declare, and any route whose entry
 * has roles but which was not served by `serveRoutes` with its guard (deny by default: `app.get(...)` of a protected
 * path fails), and records what is served. fastify's automatic HEAD routes are off (`exposeHeadRoutes: false`), so
 * each route is one entry.
 */
export function catalogueCheck(catalogue: readonly HttpRoute[]): {
  readonly onRoute: (route: { method: string | string[]; url: string; onRequest?: unknown }) => void;
  readonly served: () => readonly string[];
} {
  // By where fastify serves each (a `pathRest` route's last parameter is its wildcard); recorded in OpenAPI form.
  const known = new Map(catalogue.map((route) => [routeKey(route.method, routeUrl(route)), route]));
  const served: string[] = [];
  return {
    onRoute(route) {
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        const key = routeKey(method, route.url);
        const entry = known.get(key);
        if (entry === undefined) {
          throw new Error(`route ${key} is not in the HTTP catalogue (contracts/src/http-api.ts)`);
        }
        if (entry.roles.length > 0 && !guarded(route.onRequest)) {
          throw new Error(`route ${key} has roles in the catalogue: serve it with serveRoutes and a guard`);
        }
        served.push(routeKey(entry.method, entry.path));
      }
    },
    served: () => [...served].sort(),
  };
}
