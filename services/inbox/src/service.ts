import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { inboxProjector } from './projector.ts';
import { inboxRoutes } from './routes.ts';
import { inboxStateProjector } from './state-projector.ts';
import { createInboxStore } from './store.ts';

/**
 * The inboxes: the store stage that fills them, the projector that gives them their fetched and acknowledged states
 * from the audit trail, and the routes GP, MARAC and LA systems pull from.
 */
export function createInboxService(deps: ServiceDeps): HubService {
  const store = createInboxStore(deps.viewRedis('inbox'));
  return defineService({
    name: 'inbox',
    routes: inboxRoutes({ store, kafka: deps.kafka, now: deps.now }),
    steps: [inboxProjector(store, deps.now), inboxStateProjector(store)],
    views: ['inbox'],
  });
}
