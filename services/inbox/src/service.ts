import { inboxRetentionMs } from '@hub/contracts';
import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { inboxProjector } from './projector.ts';
import { inboxRoutes } from './routes.ts';
import { inboxStateProjector } from './state-projector.ts';
import { createInboxStore, type InboxStore } from './store.ts';
import { inboxSweeper } from './sweeper.ts';

/** The inbox view's store as a process keeps it: its served generation, the retention and the hub's clock. */
export function inboxStoreOf(deps: Pick<ServiceDeps, 'viewRedis' | 'config' | 'now'>): InboxStore {
  return createInboxStore(deps.viewRedis('inbox'), {
    retentionMs: inboxRetentionMs(deps.config.HUB_INBOX_RETENTION_DAYS),
    now: deps.now,
  });
}

/**
 * The inboxes: the store stage that fills them, the projector that gives them their fetched and acknowledged states
 * from the audit trail, the routes GP, MARAC and LA systems pull from, and the sweep of what has passed its
 * retention.
 */
export function createInboxService(deps: ServiceDeps): HubService {
  const store = inboxStoreOf(deps);
  return defineService({
    name: 'inbox',
    routes: inboxRoutes({ store, kafka: deps.kafka, now: deps.now }),
    steps: [inboxProjector(store, deps.now), inboxStateProjector(store)],
    views: ['inbox'],
    workers: [inboxSweeper(store, deps.logger.child({ component: 'inbox-sweep' }))],
  });
}
