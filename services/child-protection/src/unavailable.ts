import { HubError } from '@hub/errors';

/**
 * Runs a Kafka write; a Kafka failure becomes 503 `not-ready` (retry later) instead of a bare 500. A HubError (e.g.
 * a contract violation, which is our bug) passes through unchanged. The ids the hub writes are content-derived, so
 * a retry of a write whose outcome was unknown records nothing twice.
 */
export async function orUnavailable<R>(work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HubError) throw error;
    throw new HubError(
      'not-ready',
      'The hub could not write its record, so the request was not completed. Retry later.',
      {
        cause: error,
      },
    );
  }
}
