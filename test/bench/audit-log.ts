/**
 * The verifiable log's PostgreSQL work (services/audit/src/log, issue 11 item 2) over a large trail in a real
 * PostgreSQL: `--leaves` stored events (synthetic rows written by SQL, each entry's leaf hash computed by the server)
 * sequenced and integrated by the log's own functions, record after record as the leader and the applier do it
 * (`nextSequenceRecord`, then `applySequenceRecord`: leaf indexes, tiles, state in one transaction; Kafka left out,
 * measured elsewhere). Then, on the grown tree, what the routes compute: inclusion proofs of random leaves,
 * consistency proofs from random sizes, the root, and a random tile. The schema is dropped at the end.
 *
 *   node test/bench/audit-log.ts [--leaves=1000000] [--runs=200] [--timeout-s=3600]
 */
import { randomInt } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  AUDIT_LOG_MIGRATIONS,
  AUDIT_STORE_MIGRATIONS,
  applySequenceRecord,
  consistencyProofAt,
  inclusionProofAt,
  nextSequenceRecord,
  readLogState,
  readTile,
  rootAt,
} from '@hub/audit-service';
import { TILE_WIDTH } from '@hub/tlog';
import {
  intOption,
  now,
  perSecond,
  progress,
  runStandalone,
  summarize,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';
import { benchPostgresUrl, withBenchSchema } from './postgres-schema.ts';

interface AuditLogBenchOptions {
  readonly url: string;
  readonly leaves: number;
  readonly runs: number;
  readonly timeoutMs: number;
}

export function auditLogOptions(argv: readonly string[]): AuditLogBenchOptions {
  return {
    url: benchPostgresUrl(),
    leaves: intOption(argv, 'leaves', 'BENCH_AUDIT_LOG_LEAVES', 1_000_000),
    runs: intOption(argv, 'runs', 'BENCH_AUDIT_LOG_RUNS', 200),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_AUDIT_LOG_TIMEOUT_S', 3_600) * 1000,
  };
}

const PARTITIONS = 6;

async function auditLog(options: AuditLogBenchOptions): Promise<BenchRow[]> {
  const migrations = [...AUDIT_STORE_MIGRATIONS, ...AUDIT_LOG_MIGRATIONS];
  return withBenchSchema(options.url, 'bench-audit-log', migrations, async (postgres) => {
    const rows: BenchRow[] = [];
    // The store's rows, as many per partition, offsets from 0: what the store projector leaves.
    const perPartition = Math.ceil(options.leaves / PARTITIONS);
    progress(`audit-log: storing ${options.leaves} events`);
    for (let partition = 0; partition < PARTITIONS; partition++) {
      for (let from = 0; from < perPartition; from += 100_000) {
        await postgres.query(
          `INSERT INTO audit_events (kafka_partition, kafka_offset, event_id, at, service, action, trace_id, scopes,
                                     inherits_areas, entry, leaf_hash)
           SELECT $1::int, o, 'aud_' || md5(o::text || '/' || $1), now(), 'bench', 'audit-searched', 't', '{}', false, e,
                  sha256('\\x00'::bytea || e)
             FROM generate_series($2::bigint, $3::bigint - 1) AS o,
                  LATERAL (SELECT convert_to('{"partition":' || $1::int || ',"offset":' || o || '}', 'UTF8') AS e) AS x`,
          [partition, from, Math.min(from + 100_000, perPartition)],
        );
      }
      await postgres.query('INSERT INTO audit_projection (kafka_partition, next_offset) VALUES ($1, $2)', [
        partition,
        perPartition,
      ]);
    }
    const total = perPartition * PARTITIONS;

    progress('audit-log: sequencing and integrating');
    const records: number[] = [];
    const started = now();
    for (let offset = 0; ; offset += 2) {
      const next = await nextSequenceRecord(postgres);
      if (next === undefined) break;
      const t0 = now();
      const outcome = await applySequenceRecord(postgres, next.record, offset);
      if (outcome.kind !== 'applied') throw new Error(`record at ${next.record.fromIndex}: ${outcome.kind}`);
      records.push(now() - t0);
    }
    const elapsed = now() - started;
    const { size } = await readLogState(postgres);
    if (size !== total) throw new Error(`the tree has ${size} leaves, not ${total}`);
    rows.push({
      bench: 'audit-log',
      case: 'sequence + integrate (10,000 leaves a record)',
      count: total,
      perSecond: perSecond(total, elapsed),
      latency: summarize(records),
      note: `${records.length} records; latency is one record's applier transaction`,
    });

    const measure = async (name: string, work: () => Promise<unknown>): Promise<void> => {
      await work(); // warm
      const samples: number[] = [];
      for (let run = 0; run < options.runs; run++) {
        const t0 = now();
        await work();
        samples.push(now() - t0);
      }
      rows.push({
        bench: 'audit-log',
        case: name,
        count: samples.length,
        perSecond: perSecond(
          samples.length,
          samples.reduce((sum, sample) => sum + sample, 0),
        ),
        latency: summarize(samples),
      });
    };
    await measure(`inclusion proof, random leaf of ${size}`, () => inclusionProofAt(postgres, randomInt(size), size));
    await measure(`consistency proof, random size to ${size}`, () =>
      consistencyProofAt(postgres, 1 + randomInt(size - 1), size),
    );
    await measure(`root at a random size`, () => rootAt(postgres, 1 + randomInt(size)));
    await measure('a random full level-0 tile', () =>
      readTile(postgres, 0, randomInt(Math.floor(size / TILE_WIDTH)), TILE_WIDTH),
    );
    const last = rows.at(-1);
    if (last !== undefined) {
      rows[rows.length - 1] = { ...last, note: `load ${(loadavg()[0] ?? 0).toFixed(1)} at the end` };
    }
    return rows;
  });
}

export async function runAuditLogBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = auditLogOptions(argv);
  return withHardTimeout(options.timeoutMs, 'audit-log bench', () => auditLog(options));
}

if (import.meta.main) await runStandalone(() => runAuditLogBench(process.argv.slice(2)));
