import { ALL_HTTP_ROUTES, serviceStarted } from '@hub/contracts';
import { routeKey, servedRoutes } from '@hub/http';
import { createKafkaClient } from '@hub/kafka';
import { captureLogs, testEndpoints, uniqueId } from '@hub/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './testing.ts';

const running: TestHub[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((hub) => hub.stop()));
});

describe('hub process', () => {
  it('serves exactly the HTTP catalogue: every route of contracts/src/http-api.ts, and nothing else', async () => {
    const test = await startTestHub();
    running.push(test);
    const catalogue = ALL_HTTP_ROUTES.map((route) => routeKey(route.method, route.path)).sort();
    expect(servedRoutes(test.hub.http)).toEqual(catalogue);
    // Nothing outside the catalogue answers but the not-found handler.
    const unknown = await fetch(`${test.url}/v1/not-a-route`);
    expect(unknown.status).toBe(404);
  });

  it('starts on real Kafka and Redis: ready, and announces itself on its topic', async () => {
    const test = await startTestHub();
    running.push(test);

    expect((await fetch(`${test.url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${test.url}/health/live`)).status).toBe(200);

    const reader = createKafkaClient({
      brokers: testEndpoints().kafkaBrokers,
      clientId: 'test',
      topicNamespace: test.namespace,
      logger: captureLogs().logger,
    });
    const seen: unknown[] = [];
    const subscription = await reader.consume(serviceStarted, {
      groupId: uniqueId('reader'),
      handle: (message) => {
        seen.push(message.value);
        return Promise.resolve();
      },
    });
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(1);
    expect(seen[0]).toMatchObject({ service: 'hub' });
    await subscription.stop();
    await reader.close();
  });

  it('is live but not ready while Redis does not answer, and says which dependency failed', async () => {
    // Redis must answer at start-up for nothing here; the readiness check is what must notice it is gone.
    const test = await startTestHub({ env: { REDIS_URL: 'redis://127.0.0.1:1' } }).catch((error: unknown) => error);
    if (test instanceof Error) throw test;
    running.push(test as TestHub);
    const { url } = test as TestHub;
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await ready.json()) as { code: string; detail: string };
    expect(problem.code).toBe('not-ready');
    expect(problem.detail).toContain('redis');
    expect(problem.detail).not.toContain('kafka');
  });

  it('stops cleanly and can be stopped twice', async () => {
    const test = await startTestHub();
    await test.hub.stop();
    await test.stop();
    await expect(fetch(`${test.url}/health/live`)).rejects.toThrow();
  });
});
