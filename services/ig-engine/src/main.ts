/** The ig-engine service alone: `node services/ig-engine/src/main.ts` (same configuration keys as the hub). */
import { runMain } from '@hub/runtime';
import { createIgEngineService } from './service.ts';

await runMain('ig-engine', [createIgEngineService]);
