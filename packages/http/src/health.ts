import { sendProblem } from './problem.ts';
import type { HttpServer } from './server.ts';

export interface ReadinessCheck {
  /** Shown in the 503 problem and in logs, so an identifier such as `kafka` or `redis`, never a connection string. */
  readonly name: string;
  /** Resolves when the dependency is usable; throws (or rejects) when it is not. */
  check(): Promise<void>;
}

export interface HealthOptions {
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly readinessTimeoutMs: number;
  readonly serviceName: string;
}

class CheckTimeoutError extends Error {
  override readonly name = 'CheckTimeoutError';
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new CheckTimeoutError(`Readiness check timed out after ${timeoutMs} ms.`));
    }, timeoutMs);
    timer.unref();
  });
  try {
    // `check()` is called inside the try so a check that throws synchronously is a failure, not a crash.
    await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /health/live`: 200 while the process can serve HTTP at all (no dependency checks, so a broken dependency
 * never gets the pod restarted). `GET /health/ready`: 200 when every readiness check resolves within the timeout,
 * else 503 `not-ready` naming the failing checks by name. Checks run concurrently. Both routes need no auth.
 */
export function registerHealthRoutes(app: HttpServer, options: HealthOptions): void {
  app.get('/health/live', () => ({ status: 'ok', service: options.serviceName }));

  app.get('/health/ready', async (request, reply) => {
    const results = await Promise.allSettled(
      options.readinessChecks.map((check) => runCheck(check, options.readinessTimeoutMs)),
    );
    const failed: string[] = [];
    results.forEach((result, index) => {
      const check = options.readinessChecks[index];
      if (result.status === 'rejected' && check !== undefined) {
        failed.push(check.name);
        request.log.warn({ check: check.name, err: result.reason as unknown }, 'readiness check failed');
      }
    });
    if (failed.length > 0) {
      return sendProblem(request, reply, {
        code: 'not-ready',
        detail: `Readiness checks failed: ${failed.join(', ')}.`,
        extensions: { failedChecks: failed },
      });
    }
    return { status: 'ready', service: options.serviceName };
  });
}
