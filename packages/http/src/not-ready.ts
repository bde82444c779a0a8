import { DependencyUnavailableError, HubError } from '@hub/errors';

/**
 * Runs a write a request depends on (a Kafka publish or transaction): if it fails, the request is answered 503
 * `not-ready` with `detail` (retry later) instead of a bare 500. A HubError passes through unchanged (e.g. a
 * contract violation: our bug, a 500), and so does a DependencyUnavailableError, which the error handler answers
 * 503 `not-ready` itself. Deprecated: `@hub/kafka` and `@hub/redis` now throw DependencyUnavailableError, so new
 * code calls them directly; existing calls are being removed. The hub's ids derive from content, so a retried write records nothing twice.
 * Only the error's name is logged: a message can quote the data.
 */
export async function orNotReady<R>(
  work: () => Promise<R>,
  detail: string,
  log?: { warn(fields: Record<string, unknown>, message: string): void },
): Promise<R> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HubError || error instanceof DependencyUnavailableError) throw error;
    log?.warn({ errorName: error instanceof Error ? error.name : typeof error }, 'write failed; answered not-ready');
    throw new HubError('not-ready', detail, { cause: error });
  }
}
