/** The inboxes alone: `node services/inbox/src/main.ts` (same configuration keys as the hub). */
import { runMain } from '@hub/runtime';
import { createInboxService } from './service.ts';

await runMain('inbox', [createInboxService]);
