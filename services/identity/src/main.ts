/** The identity service alone: `node services/identity/src/main.ts` (same configuration keys as the hub). */
import { runMain } from '@hub/runtime';
import { createIdentityService } from './service.ts';

await runMain('identity', [createIdentityService]);
