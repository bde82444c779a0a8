import type { Migration, Queryable } from '@hub/postgres';
import type { Cosignature, VerificationFailure } from '@hub/tlog';

/**
 * Versions 30 to 39 of services/audit/src/migrations.ts: the results of the periodic full verification. A cache of
 * observations, not a view of a topic: losing it only means the next run (minutes away) answers again.
 */
export const AUDIT_VERIFICATION_MIGRATIONS: readonly Migration[] = [
  {
    version: 30,
    name: 'create_audit_log_verifications',
    sql: `
      -- One row per full verification of the log: when, why, what it covered and what failed (codes of @hub/tlog's
      -- VERIFICATION_FAILURES with fixed messages: hashes and numbers, never an entry's content).
      CREATE TABLE audit_log_verifications (
        id bigserial PRIMARY KEY,
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'demand')),
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        ok boolean NOT NULL,
        leaves bigint NOT NULL CHECK (leaves >= 0),
        latest_size bigint,
        latest_root bytea,
        -- The cosigned checkpoint the run verified the log against; the next run holds the log to it.
        cosigned_note text,
        cosignatures jsonb NOT NULL,
        failures jsonb NOT NULL,
        omitted integer NOT NULL CHECK (omitted >= 0)
      );
    `,
  },
];

/** Rows kept: a run every 10 minutes for a week. */
export const KEPT_VERIFICATIONS = 1_008;

export type VerificationTrigger = 'schedule' | 'demand';

export interface VerificationRun {
  readonly trigger: VerificationTrigger;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly ok: boolean;
  readonly leaves: number;
  readonly latest: { readonly size: number; readonly rootHash: Uint8Array } | undefined;
  readonly cosignedNote: string | undefined;
  readonly cosigned: { readonly size: number; readonly rootHash: Uint8Array } | undefined;
  readonly cosignatures: readonly Cosignature[];
  readonly failures: readonly VerificationFailure[];
  readonly omitted: number;
}

interface Row {
  readonly trigger: VerificationTrigger;
  readonly started_at: Date;
  readonly finished_at: Date;
  readonly ok: boolean;
  readonly leaves: string;
  readonly latest_size: string | null;
  readonly latest_root: Buffer | null;
  readonly cosigned_note: string | null;
  readonly cosignatures: Cosignature[];
  readonly failures: VerificationFailure[];
  readonly omitted: number;
}

function cosignedOf(note: string | null): VerificationRun['cosigned'] {
  if (note === null) return undefined;
  const [, size = '0', root = ''] = note.split('\n');
  return { size: Number(size), rootHash: Buffer.from(root, 'base64') };
}

function runOf(row: Row): VerificationRun {
  return {
    trigger: row.trigger,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    ok: row.ok,
    leaves: Number(row.leaves),
    latest:
      row.latest_size === null || row.latest_root === null
        ? undefined
        : { size: Number(row.latest_size), rootHash: row.latest_root },
    cosignedNote: row.cosigned_note ?? undefined,
    cosigned: cosignedOf(row.cosigned_note),
    cosignatures: row.cosignatures,
    failures: row.failures,
    omitted: row.omitted,
  };
}

export async function recordRun(q: Queryable, run: VerificationRun): Promise<void> {
  await q.query(
    `INSERT INTO audit_log_verifications
       (trigger, started_at, finished_at, ok, leaves, latest_size, latest_root, cosigned_note, cosignatures,
        failures, omitted)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      run.trigger,
      run.startedAt,
      run.finishedAt,
      run.ok,
      run.leaves,
      run.latest?.size ?? null,
      run.latest === undefined ? null : Buffer.from(run.latest.rootHash),
      run.cosignedNote ?? null,
      JSON.stringify(run.cosignatures),
      JSON.stringify(run.failures),
      run.omitted,
    ],
  );
  await q.query(
    `DELETE FROM audit_log_verifications
      WHERE id <= (SELECT max(id) FROM audit_log_verifications) - $1`,
    [KEPT_VERIFICATIONS],
  );
}

/** The latest run, and with `ok` the latest run that verified. */
export async function latestRun(q: Queryable, ok?: true): Promise<VerificationRun | undefined> {
  const { rows } = await q.query<Row>(
    `SELECT trigger, started_at, finished_at, ok, leaves, latest_size, latest_root, cosigned_note, cosignatures,
            failures, omitted
       FROM audit_log_verifications ${ok === true ? 'WHERE ok' : ''} ORDER BY id DESC LIMIT 1`,
  );
  return rows[0] === undefined ? undefined : runOf(rows[0]);
}
