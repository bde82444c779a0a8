import type { Queryable } from '@hub/postgres';
import type { ServiceReadings } from '@hub/runtime';
import { checkpointMismatches, latestCheckpoint } from './checkpoints.ts';
import { readLogState } from './state.ts';

/**
 * The log's numbers for `/metrics` (`hub_audit_log_*`): the tree's size, the latest signed checkpoint's size and
 * time, and how many stored checkpoints disagree with the tree (0 unless the log was rewritten). Three one-row reads.
 */
export async function auditLogReadings(q: Queryable): Promise<ServiceReadings> {
  const [state, checkpoint, mismatches] = await Promise.all([
    readLogState(q),
    latestCheckpoint(q),
    checkpointMismatches(q),
  ]);
  return {
    auditLog: {
      leaves: state.size,
      checkpoint: checkpoint === undefined ? undefined : { leaves: checkpoint.size, signedAt: checkpoint.signedAt },
      checkpointMismatches: mismatches,
    },
  };
}
