/** Child protection alone: `node services/child-protection/src/main.ts` (same configuration keys as the hub). */
import { runMain } from '@hub/runtime';
import { createChildProtectionService } from './service.ts';

await runMain('child-protection', [createChildProtectionService]);
