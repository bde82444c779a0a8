import { z } from 'zod';
import { DAYS, FOREVER, defineTopic, type TopicSpec } from './topic.ts';

/**
 * Every topic the hub uses. Services add their topics here; `pnpm infra provision` and each service's start-up
 * create them (idempotently) with these settings, plus a `.dlq` twin each.
 */

/** The hub's own liveness beacon: each service publishes one on start. Also the foundation's smoke topic. */
export const serviceStarted = defineTopic({
  name: 'hub.service-started.v1',
  description: 'A hub service process started (service name, version, time). No personal data.',
  schema: z
    .object({
      service: z.string().min(1).max(64),
      instanceId: z.string().min(1).max(64),
      startedAt: z.iso.datetime(),
    })
    .strict(),
  partitions: 1,
  retentionMs: 30 * DAYS,
  cleanupPolicy: 'delete',
});

export const ALL_TOPICS: readonly TopicSpec[] = [serviceStarted];

export { FOREVER };
