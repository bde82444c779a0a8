import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { AUDIT_MIGRATIONS } from './migrations.ts';
import { auditProjector } from './projector.ts';
import { auditRoutes } from './routes.ts';
import { createAuditStore } from './store.ts';

/** The audit trail: the projector that keeps the searchable store, and the IG officers' routes. */
export function createAuditService(deps: ServiceDeps): HubService {
  // The view's generation served (README "Generations"); the directory places each event in its areas (scope.ts).
  const store = createAuditStore(deps.viewPostgres('audit'), deps.directory);
  return defineService({
    name: 'audit',
    routes: auditRoutes({ store, kafka: deps.kafka, now: deps.now }),
    steps: [auditProjector(store)],
    views: ['audit'],
    migrations: AUDIT_MIGRATIONS,
  });
}
