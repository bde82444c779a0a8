/**
 * The console alone: `node services/console/src/main.ts` (same configuration keys as the hub). Its routes read the
 * inbox and audit views, so the inbox and audit services run beside it (their steps are idempotent; their workers
 * elect a leader), as they would in any process that serves the console.
 */
import { createAuditService } from '@hub/audit-service';
import { createInboxService } from '@hub/inbox';
import { runMain } from '@hub/runtime';
import { createConsoleService } from './service.ts';

await runMain('console', [createConsoleService, createInboxService, createAuditService]);
