import { auditCheckpointsTopic, STEPS, type AuditCheckpointRecord } from '@hub/contracts';
import { bindProjector, NotYetError, OUTAGE_TOLERANT_RETRY, type KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import type { Postgres, Queryable } from '@hub/postgres';
import { submitToWitness, WitnessError, type WitnessEndpoint } from '@hub/tlog-client';
import { addSignatures, parseCheckpoint, parseNote, parseVerifierKey, signCheckpoint } from '@hub/tlog';
import type { LogKey } from './keys.ts';
import { readLogState } from './state.ts';
import { consistencyProofAt, rootAt } from './tree.ts';

// Checkpoints: the leader signs one (C2SP tlog-checkpoint, Ed25519) whenever the tree has grown, publishes it on
// audit.checkpoints.v1, asks the configured witnesses to cosign it and publishes the cosigned note too. A projector
// of the topic keeps them, each checked against the tree's own root at its size.

/** A stored checkpoint. */
export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Buffer;
  readonly note: string;
  readonly signedAt: Date;
  readonly cosignedNote: string | null;
  readonly witnesses: readonly string[];
  /** Whether the tree's root at this size is the checkpoint's; null while the tree has not reached it. */
  readonly treeRootMatches: boolean | null;
}

interface CheckpointRow {
  readonly size: string;
  readonly root: Buffer;
  readonly note: string;
  readonly signed_at: Date;
  readonly cosigned_note: string | null;
  readonly witnesses: string[];
  readonly tree_root_matches: boolean | null;
}

const COLUMNS = 'size, root, note, signed_at, cosigned_note, witnesses, tree_root_matches';

function checkpointOf(row: CheckpointRow): StoredCheckpoint {
  return {
    size: Number(row.size),
    root: row.root,
    note: row.note,
    signedAt: row.signed_at,
    cosignedNote: row.cosigned_note,
    witnesses: row.witnesses,
    treeRootMatches: row.tree_root_matches,
  };
}

/** The latest checkpoint signed, or with `cosigned` the latest one a witness cosigned. */
export async function latestCheckpoint(q: Queryable, cosigned = false): Promise<StoredCheckpoint | undefined> {
  const where = cosigned ? 'WHERE cosigned_note IS NOT NULL' : '';
  const { rows } = await q.query<CheckpointRow>(
    `SELECT ${COLUMNS} FROM audit_log_checkpoints ${where} ORDER BY size DESC LIMIT 1`,
  );
  return rows[0] === undefined ? undefined : checkpointOf(rows[0]);
}

export async function checkpointOfSize(q: Queryable, size: number): Promise<StoredCheckpoint | undefined> {
  const { rows } = await q.query<CheckpointRow>(`SELECT ${COLUMNS} FROM audit_log_checkpoints WHERE size = $1`, [size]);
  return rows[0] === undefined ? undefined : checkpointOf(rows[0]);
}

/** How many stored checkpoints disagree with the tree's root at their size (0 unless the log was rewritten). */
export async function checkpointMismatches(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ count: string }>(
    'SELECT count(*) AS count FROM audit_log_checkpoints WHERE tree_root_matches = false',
  );
  return Number(rows[0]?.count ?? 0);
}

export type StoreOutcome = 'stored' | 'mismatch' | 'malformed';

/**
 * Stores one checkpoint record, once the tree has reached its size (NotYetError until then: after a rebuild the
 * checkpoints wait for the tree), with whether the tree's root at that size is the checkpoint's. A mismatch means
 * the rebuilt (or stored) log is not the one that was signed: it is kept, flagged, and the caller reports it.
 */
export async function storeCheckpoint(postgres: Postgres, record: AuditCheckpointRecord): Promise<StoreOutcome> {
  const root = Buffer.from(record.rootHash, 'base64');
  try {
    const checkpoint = parseCheckpoint(parseNote(record.note).text);
    if (checkpoint.size !== record.size || !root.equals(checkpoint.rootHash)) return 'malformed';
  } catch {
    return 'malformed';
  }
  const state = await readLogState(postgres);
  if (state.size < record.size) {
    throw new NotYetError(`the audit log tree has ${state.size} leaves, the checkpoint ${record.size}`);
  }
  const matches = root.equals(await rootAt(postgres, record.size));
  const signedAt = new Date(record.signedAt);
  if (record.kind === 'signed') {
    await postgres.query(
      `INSERT INTO audit_log_checkpoints (size, root, note, signed_at, tree_root_matches)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (size) DO UPDATE SET tree_root_matches = EXCLUDED.tree_root_matches`,
      [record.size, root, record.note, signedAt, matches],
    );
  } else {
    // The cosigned note naming the most witnesses is kept (another round may have reached fewer of them).
    await postgres.query(
      `INSERT INTO audit_log_checkpoints (size, root, note, signed_at, cosigned_note, witnesses, tree_root_matches)
       VALUES ($1, $2, $3, $4, $3, $5, $6)
       ON CONFLICT (size) DO UPDATE SET cosigned_note = EXCLUDED.cosigned_note, witnesses = EXCLUDED.witnesses,
         tree_root_matches = EXCLUDED.tree_root_matches
       WHERE cardinality(EXCLUDED.witnesses) >= cardinality(audit_log_checkpoints.witnesses)`,
      [record.size, root, record.note, signedAt, record.witnesses ?? [], matches],
    );
  }
  return matches ? 'stored' : 'mismatch';
}

/** The `auditLogCheckpoints` step: every checkpoint record stored and checked against the tree. */
export function auditLogCheckpoints(postgres: Postgres, logger: Logger) {
  return bindProjector(STEPS.auditLogCheckpoints, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async (message) => {
      const { kind, size } = message.value;
      const outcome = await storeCheckpoint(postgres, message.value);
      if (outcome === 'mismatch') {
        // Loud: the tree at this size is not the one the log signed (a rewritten store, or a rebuild that differs).
        logger.error({ kind, size, offset: message.offset }, 'audit log checkpoint does not match the tree');
      }
      if (outcome === 'malformed') {
        logger.error({ kind, size, offset: message.offset }, 'audit log checkpoint record is not its note');
      }
    },
  });
}

export interface CheckpointerDeps {
  readonly postgres: Postgres;
  readonly kafka: KafkaClient;
  readonly key: LogKey;
  readonly origin: string;
  readonly witnesses: readonly WitnessEndpoint[];
  readonly now: () => Date;
  readonly logger: Logger;
}

export interface Checkpointer {
  /** Signs and publishes a checkpoint if the tree grew since the last one (and submits it to the witnesses). */
  round(signal: AbortSignal): Promise<void>;
  /** Waits for a witness submission in flight. */
  settle(): Promise<void>;
}

/** The leader's checkpointer: one per leadership (what it remembers is only an optimisation). */
export function createCheckpointer(deps: CheckpointerDeps): Checkpointer {
  const { postgres, kafka, key, origin, witnesses, logger } = deps;
  let lastSigned: number | undefined;
  let submitting: Promise<void> | undefined;
  /** What each witness last cosigned, as it told us (by vkey); unknown is 0, and the witness then says (409). */
  const witnessSizes = new Map<string, number>();

  const publish = (value: AuditCheckpointRecord) => kafka.publish(auditCheckpointsTopic, [{ key: origin, value }]);

  async function cosign(note: string, size: number, signedAt: string, signal: AbortSignal): Promise<void> {
    const results = await Promise.allSettled(
      witnesses.map((witness) =>
        submitToWitness(
          witness,
          {
            checkpoint: note,
            oldSize: witnessSizes.get(witness.vkey) ?? 0,
            proof: (from) => consistencyProofAt(postgres, from, size),
          },
          { signal },
        ),
      ),
    );
    const lines = [];
    const names: string[] = [];
    for (const [i, result] of results.entries()) {
      const witness = witnesses[i] as WitnessEndpoint;
      const name = parseVerifierKey(witness.vkey).name;
      if (result.status === 'fulfilled') {
        witnessSizes.set(witness.vkey, result.value.size);
        lines.push(result.value.signature);
        names.push(name);
        continue;
      }
      const error: unknown = result.reason;
      if (signal.aborted) return;
      const code = error instanceof WitnessError ? error.code : 'failed';
      const fields = {
        witness: name,
        size,
        code,
        witnessSize: error instanceof WitnessError ? error.witnessSize : undefined,
      };
      // A witness holding a checkpoint this one does not extend is an alarm; one that is away is not.
      if (code === 'inconsistent' || code === 'witness-ahead' || code === 'forbidden') {
        logger.error(fields, 'audit log witness refused the checkpoint');
      } else {
        logger.warn(fields, 'audit log witness did not cosign the checkpoint');
      }
    }
    if (lines.length === 0) return;
    await publish({
      kind: 'cosigned',
      origin,
      size,
      rootHash: Buffer.from(parseCheckpoint(parseNote(note).text).rootHash).toString('base64'),
      note: addSignatures(note, lines),
      signedAt,
      witnesses: names,
    });
  }

  return {
    async round(signal) {
      const state = await readLogState(postgres);
      lastSigned ??= (await latestCheckpoint(postgres))?.size ?? -1;
      if (state.size <= lastSigned) return;
      const signedAt = deps.now().toISOString();
      const note = signCheckpoint({ origin, size: state.size, rootHash: state.root }, [key.signer]);
      await publish({
        kind: 'signed',
        origin,
        size: state.size,
        rootHash: state.root.toString('base64'),
        note,
        signedAt,
      });
      lastSigned = state.size;
      // One submission at a time: a slow witness delays cosigning, never signing.
      if (witnesses.length > 0 && submitting === undefined) {
        submitting = cosign(note, state.size, signedAt, signal)
          .catch((error: unknown) => {
            logger.warn(
              { size: state.size, errorName: error instanceof Error ? error.name : typeof error },
              'audit log cosigning failed',
            );
          })
          .finally(() => {
            submitting = undefined;
          });
      }
    },
    async settle() {
      await submitting;
    },
  };
}
