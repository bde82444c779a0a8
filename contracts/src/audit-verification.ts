import { z } from 'zod';
import { isoDateTime } from './identifiers.ts';

/**
 * The hub's periodic full verification of its audit log (issue 11; services/audit/src/verification): the whole log
 * read back from its own store and checked with the log's and its witnesses' public keys, as `./hub audit verify`
 * does, every few minutes and on demand. The console's integrity panel shows it, red when it failed.
 */

/**
 * What a verification can name (the same list as @hub/tlog's `VERIFICATION_FAILURES`, which a test keeps equal):
 * an edited, inserted, deleted or moved event shows as `entry-mismatch` at its leaf and `root-mismatch`; a cut log
 * as `truncated`, an emptied one as `wiped`; a fork or a rewrite as `inconsistent` with a checkpoint held before.
 */
export const AUDIT_LOG_VERIFICATION_FAILURES = [
  'no-checkpoint',
  'malformed-checkpoint',
  'log-signature',
  'bad-cosignature',
  'missing-cosignature',
  'truncated',
  'wiped',
  'entry-mismatch',
  'missing-entries',
  'tile-mismatch',
  'malformed-tile',
  'root-mismatch',
  'inconsistent',
  'unavailable',
  'malformed-bundle',
  'missing-event',
  'unexpected-event',
  'reordered',
  'inclusion',
  'no-consistency-proof',
] as const;

export const AUDIT_LOG_VERIFICATION_LIMITS = {
  /** Failures listed per code (the rest are counted in `omitted`). */
  failuresPerCode: 20,
  /** Every code at its limit. */
  failures: 20 * AUDIT_LOG_VERIFICATION_FAILURES.length,
  witnesses: 16,
} as const;

const count = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const base64Hash = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'must be base64 of 32 bytes');

export const auditLogVerificationFailure = z
  .object({
    code: z.enum(AUDIT_LOG_VERIFICATION_FAILURES),
    /** Fixed words and numbers: never an event's content. */
    message: z.string().min(1).max(300),
    leafIndex: count.optional(),
  })
  .strict();

/** `GET /v1/audit/log/verification`: the last full verification, and the last one that passed. */
export const auditLogVerification = z
  .object({
    /** `verified` or `failed`: the last run's result; `not-yet` before the first run finished. */
    state: z.enum(['verified', 'failed', 'not-yet']),
    /** `state === 'verified'`. */
    ok: z.boolean(),
    /** When the last run finished. */
    at: isoDateTime.nullable(),
    startedAt: isoDateTime.nullable(),
    trigger: z.enum(['schedule', 'demand']).nullable(),
    /** Leaves the last run hashed and checked. */
    treeSize: count.nullable(),
    /** The log's latest checkpoint the run read (the tree it rebuilt). */
    latest: z.object({ size: count, rootHash: base64Hash }).strict().nullable(),
    /** The latest cosigned checkpoint the run verified, and who cosigned it when. */
    cosigned: z
      .object({
        size: count,
        rootHash: base64Hash,
        cosignatures: z
          .array(z.object({ witness: z.string().min(1).max(256), at: isoDateTime }).strict())
          .max(AUDIT_LOG_VERIFICATION_LIMITS.witnesses),
      })
      .strict()
      .nullable(),
    failures: z.array(auditLogVerificationFailure).max(AUDIT_LOG_VERIFICATION_LIMITS.failures),
    /** Failures beyond the listed ones. */
    omitted: count,
    /** When the last run that passed finished (null: none has). */
    lastVerifiedAt: isoDateTime.nullable(),
    /** A run is under way on the instance that answered. */
    running: z.boolean(),
    /** Time between scheduled runs. */
    intervalSeconds: z.int().min(1),
  })
  .strict();
export type AuditLogVerification = z.infer<typeof auditLogVerification>;

/** `POST /v1/audit/log/verification`: a run was started, or one was already under way. */
export const auditLogVerificationStarted = z.object({ started: z.boolean(), running: z.literal(true) }).strict();
