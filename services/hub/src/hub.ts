import { createAuditService } from '@hub/audit-service';
import { createChildProtectionService } from '@hub/child-protection';
import { createConsoleService } from '@hub/console';
import { createDeadlinesService } from '@hub/deadlines';
import { createDispatcherService } from '@hub/dispatcher';
import { createIdentityService } from '@hub/identity';
import { createIgEngineService } from '@hub/ig-engine';
import { createInboxService } from '@hub/inbox';
import type { Logger } from '@hub/logger';
import { createPoliceGatewayService } from '@hub/police-gateway';
import { createRuntime, type HubConfig, type Runtime, type RuntimeOptions, type ServiceFactory } from '@hub/runtime';

/** Every service of the hub, in one process. */
export const HUB_SERVICE_FACTORIES: readonly ServiceFactory[] = [
  createPoliceGatewayService,
  createIdentityService,
  createIgEngineService,
  createDispatcherService,
  createChildProtectionService,
  createInboxService,
  createAuditService,
  createConsoleService,
  createDeadlinesService,
];

/**
 * The services a service cannot run without in its process, because its routes read views they keep: the console
 * reads the inbox and audit views (its main.ts runs them beside it).
 */
export const COMPANIONS: ReadonlyMap<ServiceFactory, readonly ServiceFactory[]> = new Map([
  [createConsoleService, [createInboxService, createAuditService]],
]);

export type Hub = Runtime;

export interface HubDeps {
  readonly config: HubConfig;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly version?: string;
  /** Tests only: see RuntimeOptions. */
  readonly resolveKafkaBroker?: RuntimeOptions['resolveKafkaBroker'];
}

/** The all-in-one hub: every service on one runtime (`@hub/runtime`). */
export function createHub(deps: HubDeps): Promise<Hub> {
  return createRuntime({ name: 'hub', services: HUB_SERVICE_FACTORIES, ...deps });
}
