import { z } from 'zod';
import { CLIENT_ROLES, type ClientRole } from './callers.ts';
import { isoDateTime } from './identifiers.ts';

/**
 * The audit trail's verifiable log (issue 11): one RFC 9162 Merkle tree whose leaves are the audit events' canonical
 * bytes, in the order the sequencer publishes on `audit.sequence.v1`, with C2SP signed checkpoints on
 * `audit.checkpoints.v1`. services/audit/src/log/README.md explains the machinery; these are its records and the
 * shapes of its HTTP answers.
 */

export const AUDIT_LOG_LIMITS = {
  /** Leaves one sequence record may cover: one PostgreSQL transaction of the applier. */
  leavesPerSequence: 10_000,
  /** Inclusion proofs answered for one event id (the same event recorded several times is several leaves). */
  proofsPerEvent: 16,
  /** A signed note: the checkpoint and its signatures (@hub/tlog MAX_NOTE_BYTES). */
  noteBytes: 64 * 1024,
  /** Witness cosignatures named on a cosigned checkpoint record. */
  witnesses: 16,
} as const;

/** A count or index below 2^53 (tree sizes, leaf indexes, Kafka offsets). */
const count = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A SHA-256 hash in standard base64 (as C2SP checkpoints write root hashes). */
export const base64Hash = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'must be base64 of 32 bytes');

/**
 * One sequencing decision: leaves `fromIndex` to `toIndex - 1` are the rows of `audit.events.v1` at offsets from
 * the previous record's `upTo` (0 for a partition it does not name) up to this one's, per partition, ordered by
 * partition then offset. `upTo` is cumulative: every partition sequenced so far, with the offset after the last one
 * taken. A record whose `fromIndex` is not the tree's size when it is applied is stale (a deposed leader's) and
 * changes nothing, so the log is the same however often, and by whom, records were published.
 */
export const auditSequenceRecord = z
  .object({
    fromIndex: count,
    toIndex: count,
    upTo: z
      .array(z.object({ partition: z.int().min(0).max(9_999), offset: count }).strict())
      .min(1)
      .max(10_000)
      .describe('Per partition, in partition order, each once: the offset after the last one sequenced.'),
  })
  .strict()
  .refine((record) => record.toIndex > record.fromIndex, { path: ['toIndex'], message: 'must be above fromIndex' })
  .refine((record) => record.upTo.every((entry, i, all) => entry.partition > (all[i - 1]?.partition ?? -1)), {
    path: ['upTo'],
    message: 'must name each partition once, in order',
  })
  .refine((record) => record.toIndex - record.fromIndex <= AUDIT_LOG_LIMITS.leavesPerSequence, {
    path: ['toIndex'],
    message: `must be at most ${AUDIT_LOG_LIMITS.leavesPerSequence} above fromIndex`,
  });
export type AuditSequenceRecord = z.infer<typeof auditSequenceRecord>;

/**
 * A checkpoint of the log as signed (`signed`, the log's own signature) or as cosigned by witnesses (`cosigned`, the
 * same checkpoint with their lines added). `note` is the C2SP signed note itself; `size` and `rootHash` repeat its
 * text so a reader need not parse it.
 */
export const auditCheckpointRecord = z
  .object({
    kind: z.enum(['signed', 'cosigned']),
    origin: z.string().min(1).max(256),
    size: count,
    rootHash: base64Hash,
    note: z.string().min(1).max(AUDIT_LOG_LIMITS.noteBytes),
    signedAt: isoDateTime,
    /** On `cosigned`: the witnesses' key names whose cosignatures the note carries. */
    witnesses: z.array(z.string().min(1).max(256)).max(AUDIT_LOG_LIMITS.witnesses).optional(),
  })
  .strict();
export type AuditCheckpointRecord = z.infer<typeof auditCheckpointRecord>;

// HTTP --------------------------------------------------------------------------------------------------------------

/** The checkpoint, tiles and consistency proofs carry hashes only: any authenticated caller may check the log. */
export const AUDIT_LOG_READER_ROLES: readonly ClientRole[] = CLIENT_ROLES;
/** Inclusion proofs are asked for by event: the IG officers, whose trail it is. */
export const AUDIT_LOG_PROOF_ROLES = ['ig-officer', 'ig-officer-national'] as const satisfies readonly ClientRole[];
/** Entry bundles hold 256 events of any area: only the hub-wide IG officer (an area officer's scope is its area). */
export const AUDIT_LOG_ENTRY_ROLES = ['ig-officer-national'] as const satisfies readonly ClientRole[];

/** A signed note as text (`text/plain; charset=utf-8`): what the checkpoint routes answer. */
export const auditLogNote = z.string().max(AUDIT_LOG_LIMITS.noteBytes);
/** Bytes (`application/octet-stream`): a tile or an entry bundle. */
export const auditLogBytes = z.instanceof(Buffer);

/** A decimal below 2^53 in a query, digits only, without leading zeroes. */
function decimalParameter(min: number, what: string) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, `must be ${what}: digits only, without leading zeroes`)
    .transform(Number)
    .pipe(z.int().min(min).max(Number.MAX_SAFE_INTEGER));
}

/** C2SP tlog-tiles paths are at most 64 characters (@hub/tlog MAX_TILE_PATH_LENGTH); parsed strictly by the route. */
const tilePathParameter = z.string().min(1).max(64);

/** `GET /v1/audit/log/tile/{tilePath}`: `<L>/<N>[.p/<W>]`, the C2SP tlog-tiles path after `tile/`. */
export const auditLogTileParams = z
  .object({
    tilePath: tilePathParameter.describe('`<L>/<N>[.p/<W>]` as C2SP tlog-tiles writes it, e.g. `0/x001/234.p/7`.'),
  })
  .strict();

/** `GET /v1/audit/log/tile/entries/{bundlePath}`: `<N>[.p/<W>]`, the C2SP tlog-tiles path after `tile/entries/`. */
export const auditLogBundleParams = z
  .object({ bundlePath: tilePathParameter.describe('`<N>[.p/<W>]` as C2SP tlog-tiles writes it, e.g. `x001/234`.') })
  .strict();

export const auditInclusionQuery = z
  .object({
    eventId: z
      .string()
      .regex(/^aud_[a-f0-9]{32}$/, 'must be an audit event id')
      .optional()
      .describe('Every leaf recording this event (at most 16).'),
    leafIndex: decimalParameter(0, 'a leaf index').optional(),
    treeSize: decimalParameter(1, 'a tree size')
      .optional()
      .describe("The tree to prove inclusion in; the latest checkpoint's size when absent."),
  })
  .strict()
  .superRefine((query, ctx) => {
    if ((query.eventId === undefined) === (query.leafIndex === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['eventId'], message: 'give exactly one of eventId and leafIndex' });
    }
  });

/** The inclusion proof of one leaf: its hash and the RFC 9162 audit path, bottom up. */
export const auditLeafProof = z
  .object({ leafIndex: count, leafHash: base64Hash, proof: z.array(base64Hash).max(63) })
  .strict();

/** `GET /v1/audit/log/proofs/inclusion`: proofs against the tree of `treeSize` leaves, whose root is `rootHash`. */
export const auditInclusionProof = z
  .object({
    treeSize: count,
    rootHash: base64Hash,
    /** The log's signed checkpoint of exactly this size, when it signed one (always so when treeSize was omitted). */
    checkpoint: z.string().max(AUDIT_LOG_LIMITS.noteBytes).nullable(),
    proofs: z.array(auditLeafProof).min(1).max(AUDIT_LOG_LIMITS.proofsPerEvent),
  })
  .strict();
export type AuditInclusionProof = z.infer<typeof auditInclusionProof>;

export const auditConsistencyQuery = z
  .object({
    from: decimalParameter(1, 'a tree size'),
    to: decimalParameter(1, 'a tree size'),
  })
  .strict()
  .superRefine((query, ctx) => {
    if (query.from > query.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be below from' });
  });

/** `GET /v1/audit/log/proofs/consistency`: the RFC 9162 consistency proof from `from` to `to` leaves. */
export const auditConsistencyProof = z.object({ from: count, to: count, proof: z.array(base64Hash).max(126) }).strict();
export type AuditConsistencyProof = z.infer<typeof auditConsistencyProof>;
