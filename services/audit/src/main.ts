/** The audit trail alone: `node services/audit/src/main.ts` (same configuration keys as the hub). */
import { runMain } from '@hub/runtime';
import { createAuditService } from './service.ts';

await runMain('audit', [createAuditService]);
