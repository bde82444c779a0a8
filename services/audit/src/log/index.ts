import { dirname, join } from 'node:path';
import type { RouteBinding } from '@hub/http';
import type { StepBinding } from '@hub/kafka';
import type { Migration } from '@hub/postgres';
import type { ServiceDeps, Worker } from '@hub/runtime';
import { parseVerifierKey, SIGNATURE_TYPE } from '@hub/tlog';
import type { WitnessEndpoint } from '@hub/tlog-client';
import { auditLogApplier } from './applier.ts';
import { auditLogCheckpoints, createCheckpointer } from './checkpoints.ts';
import { loadLogKey, LogKeyError } from './keys.ts';
import { auditLogLeader } from './leader.ts';
import { AUDIT_LOG_MIGRATIONS } from './migrations.ts';
import { auditLogRoutes } from './routes.ts';

export { AUDIT_LOG_MIGRATIONS } from './migrations.ts';
export { applySequenceRecord, auditLogApplier, type ApplyOutcome } from './applier.ts';
export { nextSequenceRecord } from './sequencer.ts';
export {
  auditLogCheckpoints,
  checkpointMismatches,
  checkpointOfSize,
  createCheckpointer,
  latestCheckpoint,
  storeCheckpoint,
  type StoredCheckpoint,
} from './checkpoints.ts';
export { auditLogLeader, LEADER_TIMINGS } from './leader.ts';
export { loadLogKey, LogKeyError, type LogKey } from './keys.ts';
export { auditLogRoutes } from './routes.ts';
export { readLogState, type LogState } from './state.ts';
export { consistencyProofAt, inclusionProofAt, integrate, LogIntegrityError, readTile, rootAt } from './tree.ts';

/** The verifiable log's part of the audit service's face. */
export interface AuditLog {
  readonly migrations: readonly Migration[];
  readonly steps: readonly StepBinding[];
  readonly routes: readonly RouteBinding[];
  readonly workers: readonly Worker[];
  /** The log's public key (vkey): what witnesses and auditors verify checkpoints with. */
  readonly vkey: string;
}

/** The witnesses of `AUDIT_WITNESSES`, each vkey checked to be a cosignature key (type 0x04). */
function witnessesOf(configured: readonly { url: string; vkey: string }[] | undefined): WitnessEndpoint[] {
  return (configured ?? []).map((witness, i) => {
    let type: number;
    try {
      type = parseVerifierKey(witness.vkey).type;
    } catch {
      throw new LogKeyError(`AUDIT_WITNESSES item ${i + 1}: not a verifier key`);
    }
    if (type !== SIGNATURE_TYPE.cosignatureV1) {
      throw new LogKeyError(`AUDIT_WITNESSES item ${i + 1}: not a cosignature key (type 0x04)`);
    }
    return { url: witness.url, vkey: witness.vkey };
  });
}

/**
 * The log from the process's configuration: its key (`AUDIT_LOG_KEY_FILE`, default `audit-log.skey` beside the hub's
 * signing keys; generated when missing only under `AUDIT_LOG_KEY_GENERATE` or `HUB_SIGNING_KEYS_GENERATE`), its
 * origin, its witnesses, and its tables, steps, routes and leader.
 */
export function createAuditLog(deps: ServiceDeps): AuditLog {
  const { config, kafka, now } = deps;
  // The generation of the audit view this process serves (the store's tables are beside the log's in it); a
  // rebuild makes the service again with the generation being built.
  const postgres = deps.viewPostgres('audit');
  const origin = config.AUDIT_LOG_ORIGIN;
  const keyFile = config.AUDIT_LOG_KEY_FILE ?? join(dirname(config.HUB_SIGNING_KEYS_FILE), 'audit-log.skey');
  const key = loadLogKey(keyFile, origin, config.AUDIT_LOG_KEY_GENERATE || config.HUB_SIGNING_KEYS_GENERATE);
  const witnesses = witnessesOf(config.AUDIT_WITNESSES);
  const logger = deps.logger.child({ module: 'audit-log' });
  return {
    migrations: AUDIT_LOG_MIGRATIONS,
    steps: [auditLogApplier(postgres, logger), auditLogCheckpoints(postgres, logger)],
    routes: auditLogRoutes({ postgres, kafka, now }),
    workers: [
      auditLogLeader({
        postgres,
        kafka,
        logger,
        // One leader per deployment: its schema names it, whichever generation of the view is served.
        lockName: `hub.audit.sequencer:${config.POSTGRES_SCHEMA}`,
        origin,
        checkpointer: () => createCheckpointer({ postgres, kafka, key, origin, witnesses, now, logger }),
      }),
    ],
    vkey: key.vkey,
  };
}
