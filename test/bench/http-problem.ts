/**
 * @hub/http with one zod-validated POST route on 127.0.0.1, driven from the same process by `fetch` with a fixed
 * number of requests in flight: a valid body (202) and an invalid one (400 problem+json). Every response is checked.
 *
 *   node test/bench/http-problem.ts [--requests=5000] [--concurrency=20] [--timeout-s=120]
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { closeGracefully, createHttpServer, listen, PROBLEM_CONTENT_TYPE } from '@hub/http';
import { createLogger } from '@hub/logger';
import {
  intOption,
  perSecond,
  progress,
  runStandalone,
  summarize,
  timedConcurrently,
  withDeadline,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';

interface HttpBenchOptions {
  readonly requests: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
}

export function httpOptions(argv: readonly string[]): HttpBenchOptions {
  return {
    requests: intOption(argv, 'requests', 'BENCH_REQUESTS', 5_000),
    concurrency: intOption(argv, 'concurrency', 'BENCH_HTTP_CONCURRENCY', 20),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_HTTP_TIMEOUT_S', 120) * 1000,
  };
}

/** A routing acknowledgement as a partner system might post it: ids and codes, no personal data. */
const Acknowledgement = z
  .object({
    notificationId: z.uuid(),
    recipientOds: z.string().regex(/^[A-Z]\d{5}$/),
    status: z.enum(['received', 'actioned']),
    at: z.iso.datetime(),
  })
  .strict();

const VALID = JSON.stringify({
  notificationId: randomUUID(),
  recipientOds: 'Y01234',
  status: 'received',
  at: '2026-11-23T09:00:00.000Z',
});
/** Three failures: a bad code, a value outside the enum and an unknown key, so the problem lists three pointers. */
const INVALID = JSON.stringify({
  notificationId: randomUUID(),
  recipientOds: 'not-a-code',
  status: 'lost',
  at: '2026-11-23T09:00:00.000Z',
  extra: true,
});
const WARM_UP = 500;

export async function httpProblem(options: HttpBenchOptions): Promise<BenchRow[]> {
  const app = createHttpServer({ logger: createLogger({ service: 'bench', level: 'silent' }), serviceName: 'bench' });
  app.post(
    '/v1/acknowledgements',
    { schema: { body: Acknowledgement, response: { 202: z.object({ accepted: z.uuid() }) } } },
    async (request, reply) => reply.code(202).send({ accepted: request.body.notificationId }),
  );
  const address = await listen(app, { host: '127.0.0.1', port: 0 });
  const url = `${address.url}/v1/acknowledgements`;
  progress(`http: ${url}, ${options.requests} requests per case, ${options.concurrency} in flight`);

  /** One request; the status, content type and (for the problem) the pointers must be exactly as expected. */
  async function post(body: string, expected: 202 | 400): Promise<void> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    if (response.status !== expected) throw new Error(`http: status ${response.status}, expected ${expected}`);
    if (expected === 400) {
      if (!type.startsWith(PROBLEM_CONTENT_TYPE)) throw new Error(`http: 400 with content type "${type}"`);
      const problem = JSON.parse(text) as { code?: unknown; errors?: unknown };
      if (problem.code !== 'validation-failed' || !Array.isArray(problem.errors) || problem.errors.length !== 3) {
        throw new Error('http: 400 without the three expected validation errors');
      }
    }
  }

  const rows: BenchRow[] = [];
  const cases = [
    { label: 'POST valid body → 202', body: VALID, expected: 202 },
    { label: 'POST invalid body → 400 problem+json', body: INVALID, expected: 400 },
  ] as const;
  try {
    await withDeadline(
      (async () => {
        for (const { label, body, expected } of cases) {
          await timedConcurrently(WARM_UP, options.concurrency, () => post(body, expected));
          const result = await timedConcurrently(options.requests, options.concurrency, () => post(body, expected));
          rows.push({
            bench: 'http',
            case: `${label}, ${options.concurrency} in flight`,
            count: options.requests,
            perSecond: perSecond(options.requests, result.elapsedMs),
            latency: summarize(result.latencies),
          });
        }
      })(),
      options.timeoutMs,
      'http requests',
    );
    return rows;
  } finally {
    await closeGracefully(app, 5_000);
  }
}

export async function runHttpBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = httpOptions(argv);
  return withHardTimeout(options.timeoutMs + 30_000, 'http', () => httpProblem(options));
}

if (import.meta.main) await runStandalone(() => runHttpBench(process.argv.slice(2)));
