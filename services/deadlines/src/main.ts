/** The deadline stage alone: `node services/deadlines/src/main.ts` (same configuration keys as the hub). */
import { runMain } from '@hub/runtime';
import { createDeadlinesService } from './service.ts';

await runMain('deadlines', [(deps) => createDeadlinesService(deps)]);
