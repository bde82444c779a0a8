import type { Logger } from '@hub/logger';
import type { Postgres } from '@hub/postgres';
import type { RouteBinding } from '@hub/http';
import type { Worker } from '@hub/runtime';
import type { TrustPolicy } from '@hub/tlog';
import { auditLogVerificationRoutes } from './routes.ts';
import { createLogVerifier, type LogVerifier } from './verifier.ts';

export { AUDIT_VERIFICATION_MIGRATIONS, latestRun, recordRun, type VerificationRun } from './store.ts';
export { createLogVerifier, VERIFICATION_TIMINGS, type LogVerifier, type LogVerifierDeps } from './verifier.ts';
export { postgresLogSource } from './source.ts';
export { auditLogVerificationRoutes, verificationOf } from './routes.ts';

/** The periodic verification's part of the audit service's face. */
export interface AuditLogVerificationPart {
  readonly routes: readonly RouteBinding[];
  readonly workers: readonly Worker[];
  readonly verifier: LogVerifier;
}

export interface AuditLogVerificationDeps {
  readonly postgres: Postgres;
  readonly logger: Logger;
  readonly now: () => Date;
  /** The log's origin and public key, and the configured witnesses (`AUDIT_WITNESSES`). */
  readonly origin: string;
  readonly logVkey: string;
  readonly witnesses: readonly { readonly url: string; readonly vkey: string }[];
  /** `AUDIT_LOG_VERIFY_INTERVAL_SECONDS`. */
  readonly intervalSeconds: number;
  /** The deployment's schema: one verification at a time per deployment. */
  readonly schema: string;
  /** How long a run waits for the store to reach a witness's checkpoint (`VERIFICATION_TIMINGS.catchUpMs`). */
  readonly catchUpMs?: number;
}

/**
 * The hub verifying its own log: under the trust an auditor has (the log's public key; at least one of the
 * configured witnesses must have cosigned the latest cosigned checkpoint), every `intervalSeconds` and on demand,
 * each witness's own checkpoint of the log (its monitoring API, at its configured URL) held against it.
 */
export function createAuditLogVerification(deps: AuditLogVerificationDeps): AuditLogVerificationPart {
  const policy: TrustPolicy = {
    origin: deps.origin,
    logKeys: [deps.logVkey],
    witnessKeys: deps.witnesses.map((witness) => witness.vkey),
    witnessQuorum: Math.min(1, deps.witnesses.length),
  };
  const verifier = createLogVerifier({
    postgres: deps.postgres,
    policy,
    witnessUrls: deps.witnesses.map((witness) => witness.url),
    intervalMs: deps.intervalSeconds * 1000,
    now: deps.now,
    logger: deps.logger.child({ module: 'audit-log-verification' }),
    lockName: `hub.audit.verification:${deps.schema}`,
    ...(deps.catchUpMs === undefined ? {} : { catchUpMs: deps.catchUpMs }),
  });
  return {
    routes: auditLogVerificationRoutes({
      postgres: deps.postgres,
      verifier,
      intervalSeconds: deps.intervalSeconds,
    }),
    workers: [verifier.worker],
    verifier,
  };
}
