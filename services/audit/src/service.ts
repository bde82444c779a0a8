import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { createAuditLog } from './log/index.ts';
import { auditLogReadings } from './log/readings.ts';
import { AUDIT_MIGRATIONS } from './migrations.ts';
import { auditProjector } from './projector.ts';
import { auditRoutes } from './routes.ts';
import { createAuditStore } from './store.ts';
import { createAuditLogVerification } from './verification/index.ts';

/**
 * The audit trail: the projector that keeps the searchable store and the IG officers' routes; the verifiable log
 * (src/log); the hub's periodic verification of that log (src/verification).
 */
export function createAuditService(deps: ServiceDeps): HubService {
  // The view's generation served (README "Generations"); the directory places each event in its areas (scope.ts).
  const store = createAuditStore(deps.viewPostgres('audit'), deps.directory);
  const log = createAuditLog(deps);
  const { config } = deps;
  const verification = createAuditLogVerification({
    // The same store as the log's: what is verified is what the log serves.
    postgres: deps.viewPostgres('audit'),
    logger: deps.logger,
    now: deps.now,
    origin: config.AUDIT_LOG_ORIGIN,
    logVkey: log.vkey,
    witnesses: config.AUDIT_WITNESSES ?? [],
    intervalSeconds: config.AUDIT_LOG_VERIFY_INTERVAL_SECONDS,
    schema: config.POSTGRES_SCHEMA,
  });
  return defineService({
    name: 'audit',
    routes: [...auditRoutes({ store, kafka: deps.kafka, now: deps.now }), ...log.routes, ...verification.routes],
    steps: [auditProjector(store), ...log.steps],
    views: ['audit'],
    migrations: AUDIT_MIGRATIONS,
    workers: [...log.workers, ...verification.workers],
    // The log's size, latest checkpoint and mismatches for /metrics (hub_audit_log_*), from the served generation.
    readings: () => auditLogReadings(deps.viewPostgres('audit')),
  });
}
