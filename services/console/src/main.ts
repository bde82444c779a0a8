/** The console alone: `node services/console/src/main.ts` (same configuration keys as the hub). */
import { runMain } from '@hub/runtime';
import { createConsoleService } from './service.ts';

await runMain('console', [createConsoleService]);
