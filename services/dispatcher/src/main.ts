/** The dispatcher service alone: `node services/dispatcher/src/main.ts` (same configuration keys as the hub). */
import { runMain } from '@hub/runtime';
import { createDispatcherService } from './service.ts';

await runMain('dispatcher', [createDispatcherService]);
