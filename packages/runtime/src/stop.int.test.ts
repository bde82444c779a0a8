/*
 * Issue 13: a hub's stop is bounded. A worker that ignores its abort (as one awaiting a Kafka call that retries while
 * a broker is dead would) held `Runtime.stop()` for as long as it ran; now its phase ends at its deadline, the
 * worker is named in the log, and Kafka, the instance-name lease, PostgreSQL and Redis are still closed.
 */
import { captureLogs } from '@hub/testkit';
import { describe, expect, it } from 'vitest';
import { createRuntime } from './runtime.ts';
import { defineService } from './service.ts';
import { STOP_DEADLINES_MS } from './stop-phases.ts';
import { prepareTestDeployment } from './test-deployment.ts';

const WORKERS_DEADLINE_MS = 500;

describe('Runtime.stop with a worker that ignores its abort', () => {
  it('resolves once the workers phase deadline passes, names the worker, and still closes everything after it', async () => {
    const deployment = await prepareTestDeployment({ clients: [] });
    const { logger, lines } = captureLogs('inbox');
    try {
      const runtime = await createRuntime({
        name: 'inbox',
        config: deployment.config,
        logger,
        services: [
          () =>
            defineService({
              name: 'inbox',
              workers: [{ name: 'stubborn', run: () => new Promise<void>(() => undefined) }],
            }),
        ],
        stopDeadlinesMs: { ...STOP_DEADLINES_MS, workers: WORKERS_DEADLINE_MS },
      });
      await runtime.start();
      const started = Date.now();
      await runtime.stop();
      const tookMs = Date.now() - started;
      expect(tookMs).toBeGreaterThanOrEqual(WORKERS_DEADLINE_MS - 10);
      expect(tookMs).toBeLessThan(WORKERS_DEADLINE_MS + 10_000);

      const overran = lines().filter((line) => line['msg'] === 'stop phase overran its deadline; going on without it');
      expect(overran).toEqual([
        expect.objectContaining({ phase: 'workers', deadlineMs: WORKERS_DEADLINE_MS, pending: ['inbox.stubborn'] }),
      ]);
      // Everything after the workers still closed: Kafka (a closed client answers no ping), the lease, Redis.
      expect(lines().some((line) => line['msg'] === 'Kafka client closed')).toBe(true);
      expect(runtime.redis.status).toBe('end');
      const stopped = lines().find((line) => line['msg'] === 'inbox stopped');
      expect(Object.keys(stopped?.['phasesMs'] ?? {})).toEqual([
        'http',
        'workers',
        'metrics',
        'views',
        'kafka',
        'tracing',
        'lease',
        'postgres',
        'redis',
      ]);
    } finally {
      await deployment.remove();
    }
  }, 60_000);
});
