import { auditEvent, type AuditFields } from '@hub/audit';
import { auditEventsTopic, STEPS, type AuditAction } from '@hub/contracts';
import { orNotReady } from '@hub/http';
import type { KafkaClient } from '@hub/kafka';
import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { createFgmIntake } from './fgm.ts';
import { createFlagView } from './flag-view.ts';
import { createFlagLookup } from './lookup.ts';
import { notifierStages } from './notifier.ts';
import { createPlanIntake } from './plans.ts';
import { flagViewProjectors } from './projector.ts';
import { childProtectionRoutes } from './routes.ts';

/** The `service` of this package's audit events. */
export const SERVICE = 'child-protection';

/**
 * Child protection: plans, FGM indicators and the flag look-up (routes and their request steps), the notifier's three
 * stages and the flag view's three projectors.
 */
export function createChildProtectionService(deps: ServiceDeps): HubService {
  const shared = { kafka: deps.kafka, redis: deps.redis, directory: deps.directory, policy: deps.cpPolicy, now: deps.now };
  return defineService({
    name: 'child-protection',
    routes: childProtectionRoutes({
      plans: createPlanIntake({ ...shared, transactionalId: STEPS.planIntake.transactionalId }),
      fgm: createFgmIntake({ ...shared, transactionalId: STEPS.fgmIntake.transactionalId }),
      lookup: createFlagLookup({ ...shared, transactionalId: STEPS.flagLookup.transactionalId }),
    }),
    steps: [
      ...notifierStages({ keys: deps.keyStore, policy: deps.cpPolicy, directory: deps.directory, now: deps.now }),
      ...flagViewProjectors(createFlagView(deps.redis), { logger: deps.logger }),
    ],
    views: ['cp-flags'],
  });
}

/**
 * Runs a Kafka write the answer depends on; a failure is 503 `not-ready` (retry later): nothing is answered that
 * was not recorded and audited.
 */
export function orUnavailable<R>(work: () => Promise<R>): Promise<R> {
  return orNotReady(work, 'The hub could not write its record, so the request was not completed. Retry later.');
}

/**
 * Publishes one audit event on its own (a step with no record to go with it: an unchanged resend, a refusal, a
 * denied look-up), keyed by `key`. A Kafka failure is 503 `not-ready`: nothing is answered that was not audited.
 */
export async function auditAlone(
  kafka: KafkaClient,
  key: string,
  action: AuditAction,
  at: Date,
  fields: AuditFields,
  distinctBy: readonly string[] = [],
): Promise<void> {
  await orUnavailable(() =>
    kafka.publish(auditEventsTopic, [{ key, value: auditEvent(SERVICE, action, at, fields, distinctBy) }]),
  );
}
