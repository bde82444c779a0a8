import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { AUDIT_MIGRATIONS } from './migrations.ts';
import { auditProjector } from './projector.ts';
import { auditRoutes } from './routes.ts';
import { createAuditStore } from './store.ts';

/** The audit trail: the projector that keeps the searchable store, and the IG officers' routes. */
export function createAuditService(deps: ServiceDeps): HubService {
  // The directory places each event in the areas of the practices it names (scope.ts).
  const store = createAuditStore(deps.postgres, deps.directory);
  return defineService({
    name: 'audit',
    routes: auditRoutes({ store, kafka: deps.kafka, now: deps.now }),
    steps: [auditProjector(store)],
    views: ['audit'],
    migrations: AUDIT_MIGRATIONS,
  });
}
