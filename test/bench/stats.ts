/**
 * What every benchmark shares: options, clocks, percentiles, bounded loops, the result row and its markdown table.
 * Latencies are milliseconds from `performance.now()` (monotonic); throughput is operations per second.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** One line of the results table. `latency` is absent where a latency would mean nothing (e.g. draining a backlog). */
export interface BenchRow {
  readonly bench: string;
  readonly case: string;
  readonly count: number;
  readonly perSecond: number;
  readonly latency?: Summary;
  readonly note?: string;
}

export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Monotonic milliseconds, for durations. */
export const now = (): number => performance.now();

/**
 * Milliseconds since the epoch on the monotonic clock (sub-millisecond, never steps back). Only comparable within one
 * process, which is how the benchmarks use it: a timestamp written into a message and read back by a handler.
 */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** Nearest-rank percentile of an ascending array: the smallest sample with at least p% of samples at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
}

/**
 * Runs `op(0..count-1)` with at most `concurrency` in flight (a closed loop: each worker starts its next operation when
 * the previous one settles) and times each operation. The first error stops the loop and is rethrown.
 */
export async function timedConcurrently(
  count: number,
  concurrency: number,
  op: (index: number) => Promise<void>,
): Promise<{ readonly elapsedMs: number; readonly latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  let failed = false;
  async function worker(): Promise<void> {
    while (!failed && next < count) {
      const index = next++;
      const started = now();
      try {
        await op(index);
      } catch (error) {
        failed = true;
        throw error;
      }
      latencies.push(now() - started);
    }
  }
  const started = now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { elapsedMs: now() - started, latencies };
}

/**
 * An open-loop load generator: `count` items offered at `ratePerSecond` on a fixed schedule, independent of how
 * fast the system answers. `send(first, n)` gets every item that has fallen due (at most `maxBatch`), so a slow send
 * is caught up by batching rather than by shifting the schedule.
 */
export async function paced(
  count: number,
  ratePerSecond: number,
  maxBatch: number,
  send: (first: number, n: number) => Promise<void>,
): Promise<void> {
  const intervalMs = 1000 / ratePerSecond;
  const started = now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor((now() - started) / intervalMs) + 1);
    if (due > sent) {
      const n = Math.min(due - sent, maxBatch);
      await send(sent, n);
      sent += n;
    } else {
      await sleep(Math.max(0, started + sent * intervalMs - now()));
    }
  }
}

/** Rejects with a clear message when `promise` has not settled within `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        reject(new Error(`${what}: not done within ${Math.round(ms)} ms`));
      },
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The hard stop: if `work` is still running `ms` after it started (its own deadlines and clean-up having failed), the
 * process exits with 124 like timeout(1). The timer is unref'd, so it never keeps a finished process alive.
 */
export async function withHardTimeout<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  const timer = setTimeout(() => {
    process.stderr.write(`bench ${what}: hard timeout after ${Math.round(ms / 1000)} s, exiting\n`);
    process.exit(124);
  }, ms);
  timer.unref();
  try {
    return await work();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A positive integer option: `--name=value` on the command line, else the environment variable, else the default.
 * Only the `=` form is accepted, so bare words on the command line are always benchmark names (see run.ts).
 */
export function intOption(argv: readonly string[], name: string, envName: string, fallback: number): number {
  const flag = `--${name}=`;
  const fromArgs = argv.findLast((arg) => arg.startsWith(flag))?.slice(flag.length);
  const raw = fromArgs ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`--${name} / ${envName} must be a positive integer, got "${raw}"`);
  }
  return value;
}

/** Progress goes to stderr, so stdout carries only the results table. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(2));

export function markdownTable(rows: readonly BenchRow[]): string {
  const header = ['bench', 'case', 'n', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'note'];
  const lines = rows.map((row) => [
    row.bench,
    row.case,
    String(row.count),
    Math.round(row.perSecond).toLocaleString('en-GB'),
    row.latency === undefined ? '–' : ms(row.latency.p50),
    row.latency === undefined ? '–' : ms(row.latency.p95),
    row.latency === undefined ? '–' : ms(row.latency.p99),
    row.latency === undefined ? '–' : ms(row.latency.max),
    row.note ?? '',
  ]);
  const format = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [format(header), format(header.map(() => '---')), ...lines.map(format)].join('\n');
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Date, commit, Node, CPUs, memory and the 1-minute load average before and after, for the Results section. The load
 * matters: on a 2-core machine another busy process halves every number.
 */
export function environment(loadBefore: number): string {
  const cpu = cpus();
  const load = (value: number): string => value.toFixed(2);
  return (
    `${new Date().toISOString().slice(0, 10)}, commit ${commit()}, Node ${process.version}, ` +
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
    `load ${load(loadBefore)} before / ${load(loadavg()[0] ?? 0)} after`
  );
}

/** Entry point of a single benchmark script: runs it, prints its table, sets the exit code. */
export async function runStandalone(run: () => Promise<readonly BenchRow[]>): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  try {
    const rows = await run();
    process.stdout.write(`${environment(loadBefore)}\n\n${markdownTable(rows)}\n`);
  } catch (error) {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
