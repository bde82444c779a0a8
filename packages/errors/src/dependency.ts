/** The infrastructure a request can depend on. */
export const DEPENDENCIES = ['kafka', 'redis', 'postgres'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/**
 * Kafka, Redis or PostgreSQL could not be used for this request (unreachable, timed out, no replicas, a transaction
 * that failed for a Kafka reason). Thrown by `@hub/kafka` (`publish`, `transaction`), `@hub/redis` (every command of
 * a client from `createRedis`) and `@hub/postgres` (every statement); `@hub/http` answers it, in one place, 503
 * `not-ready` with `Retry-After`. The hub's ids derive from content, so the client's retry records nothing twice.
 *
 * The message names only the dependency; the underlying error is the `cause` (for logs of its name, never shown).
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  readonly dependency: Dependency;

  constructor(dependency: Dependency, options?: { readonly cause?: unknown }) {
    super(`${dependency} is unavailable`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.dependency = dependency;
  }
}
