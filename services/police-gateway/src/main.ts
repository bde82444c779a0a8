/** The police gateway alone: `node services/police-gateway/src/main.ts` (same configuration keys as the hub). */
import { runMain } from '@hub/runtime';
import { createPoliceGatewayService } from './service.ts';

await runMain('police-gateway', [createPoliceGatewayService]);
