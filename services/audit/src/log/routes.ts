import { randomUUID } from 'node:crypto';
import { actorOf, auditEvent } from '@hub/audit';
import { AUDIT_LOG_LIMITS, auditEventsTopic, HTTP_ROUTES, STEPS, type AuditInclusionProof } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { bindRoute, type RouteBinding } from '@hub/http';
import { requestPublish, type KafkaClient } from '@hub/kafka';
import type { Postgres } from '@hub/postgres';
import { TILE_WIDTH, encodeEntryBundle, parseTilePath, tileWidth, type TilePath } from '@hub/tlog';
import { checkpointOfSize, latestCheckpoint } from './checkpoints.ts';
import { readLogState } from './state.ts';
import { consistencyProofAt, inclusionProofAt, readTile, rootAt } from './tree.ts';

export interface AuditLogRoutesDeps {
  readonly postgres: Postgres;
  readonly kafka: KafkaClient;
  readonly now: () => Date;
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A tile path parsed strictly (@hub/tlog), or a 400 naming the parameter (never echoing it). */
function tilePathOf(text: string, kind: TilePath['kind'], pointer: string): TilePath {
  const prefix = kind === 'entries' ? 'tile/entries/' : 'tile/';
  try {
    const path = parseTilePath(`${prefix}${text}`);
    if (path.kind === kind) return path;
  } catch {
    // answered below
  }
  throw new HubError('validation-failed', 'The request has 1 invalid field.', {
    errors: [{ pointer, detail: 'must be a C2SP tlog-tiles path in its canonical spelling' }],
  });
}

const notFound = (detail: string) => new HubError('not-found', detail);

/**
 * The verifiable log over HTTP (contracts `getAuditLog*`): the C2SP checkpoint and tiles any authenticated caller may
 * check the log with (hashes only), entry bundles for the national IG officer (each read audited first), and RFC 9162
 * proofs. Everything is read from the stored tiles: no answer rereads the log.
 */
export function auditLogRoutes(deps: AuditLogRoutesDeps): RouteBinding[] {
  const { postgres } = deps;
  return [
    bindRoute(HTTP_ROUTES.getAuditLogCheckpoint, async () => {
      const checkpoint = await latestCheckpoint(postgres);
      if (checkpoint === undefined) throw new HubError('not-ready', 'The log has not signed its first checkpoint yet.');
      return checkpoint.note;
    }),

    bindRoute(HTTP_ROUTES.getAuditLogCosignedCheckpoint, async () => {
      const checkpoint = await latestCheckpoint(postgres, true);
      if (checkpoint?.cosignedNote == null) throw notFound('No witness has cosigned a checkpoint yet.');
      return checkpoint.cosignedNote;
    }),

    bindRoute(HTTP_ROUTES.getAuditLogTile, async ({ params }) => {
      const path = tilePathOf(params.tilePath, 'hashes', '/params/tilePath');
      if (path.kind !== 'hashes') throw notFound('No such tile.');
      const tile = await readTile(postgres, path.level, path.index, path.width ?? TILE_WIDTH);
      if (tile === undefined) throw notFound('The tree does not have that tile at that width yet.');
      return tile;
    }),

    bindRoute(HTTP_ROUTES.getAuditLogEntries, async ({ params, caller, request }) => {
      const path = tilePathOf(params.bundlePath, 'entries', '/params/bundlePath');
      const width = path.width ?? TILE_WIDTH;
      const first = path.index * TILE_WIDTH;
      const state = await readLogState(postgres);
      if (tileWidth(0, path.index, state.size) < width) throw notFound('The tree does not have those leaves yet.');
      // Audited before anything is read: who read which leaves (each read its own event).
      const read = auditEvent(
        'audit',
        'audit-log-entries-read',
        deps.now(),
        { actor: actorOf(caller), reason: `leaves:${first}-${first + width - 1}` },
        [randomUUID()],
      );
      await requestPublish(deps.kafka, STEPS.auditLogRequests, auditEventsTopic, [
        { key: caller.organisation, value: read },
      ]);
      const { rows } = await postgres.query<{ entry: Buffer }>(
        'SELECT entry FROM audit_events WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index',
        [first, first + width],
      );
      if (rows.length !== width) {
        request.log.error({ first, width, found: rows.length }, 'audit log entries missing for sequenced leaves');
        throw new HubError('internal', 'The log could not answer this bundle.');
      }
      request.log.info({ first, width, auditEventId: read.eventId }, 'audit log entries read');
      return encodeEntryBundle(rows.map((row) => row.entry));
    }),

    bindRoute(HTTP_ROUTES.getAuditLogInclusionProof, async ({ query }) => {
      const latest = await latestCheckpoint(postgres);
      const treeSize = query.treeSize ?? latest?.size;
      if (treeSize === undefined || treeSize === 0) throw notFound('The log has no leaves yet.');
      const state = await readLogState(postgres);
      if (treeSize > state.size) throw notFound('The log is not that large yet.');
      const leaves =
        query.leafIndex === undefined
          ? await postgres.query<{ leaf_index: string; leaf_hash: Buffer }>(
              `SELECT leaf_index, leaf_hash FROM audit_events
                WHERE event_id = $1 AND leaf_index < $2 ORDER BY leaf_index LIMIT $3`,
              [query.eventId, treeSize, AUDIT_LOG_LIMITS.proofsPerEvent],
            )
          : await postgres.query<{ leaf_index: string; leaf_hash: Buffer }>(
              'SELECT leaf_index, leaf_hash FROM audit_events WHERE leaf_index = $1 AND leaf_index < $2',
              [query.leafIndex, treeSize],
            );
      if (leaves.rows.length === 0) throw notFound('No such leaf in the tree of that size.');
      const proofs: AuditInclusionProof['proofs'][number][] = [];
      for (const row of leaves.rows) {
        const leafIndex = Number(row.leaf_index);
        const proof = await inclusionProofAt(postgres, leafIndex, treeSize);
        proofs.push({ leafIndex, leafHash: base64(row.leaf_hash), proof: proof.map(base64) });
      }
      const checkpoint = latest?.size === treeSize ? latest : await checkpointOfSize(postgres, treeSize);
      return {
        treeSize,
        rootHash: base64(await rootAt(postgres, treeSize)),
        checkpoint: checkpoint?.note ?? null,
        proofs,
      };
    }),

    bindRoute(HTTP_ROUTES.getAuditLogConsistencyProof, async ({ query }) => {
      const state = await readLogState(postgres);
      if (query.to > state.size) throw notFound('The log is not that large yet.');
      const proof = await consistencyProofAt(postgres, query.from, query.to);
      return { from: query.from, to: query.to, proof: proof.map(base64) };
    }),
  ];
}
