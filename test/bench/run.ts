/**
 * Runs the benchmarks in sequence (all, or those named) and prints one markdown table, headed by what was measured
 * where, ready to paste into README.md's Results section. When `e2e` and `raw` both ran, a last line gives the hub's
 * burst drain as a share of the raw pipeline's (issue 10: the ratio from one run is the figure).
 *
 *   node test/bench/run.ts [kafka] [redis] [http] [raw] [e2e] [cp] [audit-search] [--name=value ...]   (see each script)
 */
import { loadavg } from 'node:os';
import { runAuditSearchBench } from './audit-search.ts';
import { runAuditLogBench } from './audit-log.ts';
import { runDashboardBench } from './console-dashboard.ts';
import { runCpBench } from './cp-latency.ts';
import { HUB_DRAIN_CASE, runE2eBench } from './e2e-latency.ts';
import { runHttpBench } from './http-problem.ts';
import { instancesOption } from './hub-instances.ts';
import { runIntakeBench } from './intake.ts';
import { runKafkaBench } from './kafka-throughput.ts';
import { RAW_DRAIN_CASE, runRawBench } from './raw-pipeline.ts';
import { runRebuildBench } from './rebuild.ts';
import { runRedisBench } from './redis-claim.ts';
import { runSigningBench } from './signing.ts';
import { environment, markdownTable, progress, type BenchRow } from './stats.ts';

const BENCHMARKS = {
  kafka: runKafkaBench,
  redis: runRedisBench,
  http: runHttpBench,
  raw: runRawBench,
  e2e: runE2eBench,
  intake: runIntakeBench,
  cp: runCpBench,
  signing: runSigningBench,
  rebuild: runRebuildBench,
  'audit-search': runAuditSearchBench,
  dashboard: runDashboardBench,
  'audit-log': runAuditLogBench,
} as const satisfies Record<string, (argv: readonly string[]) => Promise<BenchRow[]>>;
type BenchName = keyof typeof BENCHMARKS;

const isBenchName = (name: string): name is BenchName => Object.hasOwn(BENCHMARKS, name);

/** The hub's burst drain as a share of the raw pipeline's, when both are among `rows` (e2e's hub as `instances`). */
function drainRatio(rows: readonly BenchRow[], instances: number): string | undefined {
  const hub = rows.find((row) => row.bench === 'e2e' && row.case === HUB_DRAIN_CASE)?.perSecond;
  const raw = rows.find((row) => row.bench === 'raw' && row.case === RAW_DRAIN_CASE)?.perSecond;
  if (hub === undefined || raw === undefined || raw <= 0) return undefined;
  const rate = (value: number): string => value.toLocaleString('en-GB', { maximumFractionDigits: 1 });
  return (
    `burst drain, hub${instances === 1 ? '' : ` as ${instances} processes`} ÷ raw pipeline: ` +
    `${rate(hub)} ÷ ${rate(raw)} incidents/s = ${((100 * hub) / raw).toFixed(1)}% ` +
    '(issue 10 asks for at least 50%)'
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const words = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = words.filter((word) => !isBenchName(word));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}\n`,
    );
    return 2;
  }
  const selected = words.length > 0 ? words.filter(isBenchName) : (Object.keys(BENCHMARKS) as BenchName[]);
  const loadBefore = loadavg()[0] ?? 0;
  const rows: BenchRow[] = [];
  const failed: string[] = [];
  for (const name of selected) {
    progress(`--- ${name}`);
    try {
      rows.push(...(await BENCHMARKS[name](argv)));
    } catch (error) {
      failed.push(name);
      process.stderr.write(
        `bench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
  }
  const ratio = drainRatio(rows, instancesOption(argv));
  process.stdout.write(
    `${environment(loadBefore)}\n\n${markdownTable(rows)}\n${ratio === undefined ? '' : `\n${ratio}\n`}`,
  );
  if (failed.length > 0) process.stderr.write(`failed: ${failed.join(', ')}\n`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
