import { HTTP_ROUTES, type AuditLogVerification } from '@hub/contracts';
import { bindRoute, type RouteBinding } from '@hub/http';
import type { Postgres } from '@hub/postgres';
import { latestRun, type VerificationRun } from './store.ts';
import type { LogVerifier } from './verifier.ts';

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A run as the contract shows it (`auditLogVerification`); none yet is `not-yet`. */
export function verificationOf(
  run: VerificationRun | undefined,
  lastVerified: VerificationRun | undefined,
  status: { readonly running: boolean; readonly intervalSeconds: number },
): AuditLogVerification {
  return {
    state: run === undefined ? 'not-yet' : run.ok ? 'verified' : 'failed',
    ok: run?.ok ?? false,
    at: run?.finishedAt.toISOString() ?? null,
    startedAt: run?.startedAt.toISOString() ?? null,
    trigger: run?.trigger ?? null,
    treeSize: run?.leaves ?? null,
    latest: run?.latest === undefined ? null : { size: run.latest.size, rootHash: base64(run.latest.rootHash) },
    cosigned:
      run?.cosigned === undefined
        ? null
        : {
            size: run.cosigned.size,
            rootHash: base64(run.cosigned.rootHash),
            cosignatures: run.cosignatures.map((c) => ({
              witness: c.witness,
              at: new Date(c.timestamp * 1000).toISOString(),
            })),
          },
    failures: (run?.failures ?? []).map((f) => ({
      code: f.code,
      message: f.message,
      ...(f.leafIndex === undefined ? {} : { leafIndex: f.leafIndex }),
    })),
    omitted: run?.omitted ?? 0,
    lastVerifiedAt: lastVerified?.finishedAt.toISOString() ?? null,
    running: status.running,
    intervalSeconds: status.intervalSeconds,
  };
}

/** `getAuditLogVerification` and `verifyAuditLog` (contracts/src/http-api.ts), for IG officers and the console. */
export function auditLogVerificationRoutes(deps: {
  readonly postgres: Postgres;
  readonly verifier: LogVerifier;
  readonly intervalSeconds: number;
}): RouteBinding[] {
  const { postgres, verifier, intervalSeconds } = deps;
  return [
    bindRoute(HTTP_ROUTES.getAuditLogVerification, async () => {
      const [run, lastVerified] = await Promise.all([latestRun(postgres), latestRun(postgres, true)]);
      return verificationOf(run, lastVerified, { running: verifier.running(), intervalSeconds });
    }),
    bindRoute(HTTP_ROUTES.verifyAuditLog, () => {
      const { started } = verifier.demand();
      return Promise.resolve({ started, running: true as const });
    }),
  ];
}
