import { z } from 'zod';
import { auditEvent } from './audit.ts';
import { auditCheckpointRecord, auditSequenceRecord } from './audit-log.ts';
import { cpFlagAccessed, cpPlanRecorded, cpPlanRefused, fgmIndicatorRecorded } from './child-protection.ts';
import { deadlineTick } from './deadlines.ts';
import { daIncidentReceived } from './domestic-abuse.ts';
import { issuedNotification } from './inbox.ts';
import { daIncidentDecided, daIncidentIdentified } from './pipeline.ts';
import { DAYS, FOREVER, defineTopic, type TopicSpec } from './topic.ts';

/**
 * Every topic the hub uses. Services add their topics here; `pnpm infra provision` and each service's start-up
 * create them (idempotently) with these settings, plus a `.dlq` twin each.
 */

/** The hub's own liveness beacon: each service publishes one on start. Also the foundation's smoke topic. */
export const serviceStarted = defineTopic({
  name: 'hub.service-started.v1',
  key: 'The instance id of the process that started.',
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

/** Every accepted police submission, as received. Key: `<force>:<incidentId>`, so versions of one incident stay in order. */
export const daIncidentReceivedTopic = defineTopic({
  name: 'da.incident-received.v1',
  key: '`<force>:<incidentId>`, so the versions of one incident stay in order.',
  description: 'A domestic-abuse incident accepted from a police force (the record of what was received).',
  schema: daIncidentReceived,
  partitions: 6,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** Every step of every service. Key: the receipt id, or the caller's organisation for requests without one. */
export const auditEventsTopic = defineTopic({
  name: 'audit.events.v1',
  key: "The receipt id, or the caller's organisation for events without one.",
  description: "The audit trail: every step, decision, withhold, refusal and access, in the step's own transaction.",
  schema: auditEvent,
  partitions: 6,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** Each received incident with every subject matched to a registered patient or an exception reason. */
export const daIncidentIdentifiedTopic = defineTopic({
  name: 'da.incident-identified.v1',
  key: '`<force>:<incidentId>`, as on da.incident-received.v1.',
  description: 'A received incident with each subject matched (NHS number, registered practice) or excepted, with why.',
  schema: daIncidentIdentified,
  partitions: 6,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** Each identified incident with its IG decisions (shares, withholds, exceptions), rule by rule. */
export const daIncidentDecidedTopic = defineTopic({
  name: 'da.incident-decided.v1',
  key: '`<force>:<incidentId>`, as on da.incident-received.v1.',
  description:
    'An identified incident with one IG decision per subject and the MARAC decision, under a policy version.',
  schema: daIncidentDecided,
  partitions: 6,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** Signed notifications ready for their inbox. Key: the recipient, so one inbox's notifications stay in order. */
export const notificationsIssuedTopic = defineTopic({
  name: 'notifications.issued.v1',
  key: "The recipient (e.g. `gp:A81001`), so one inbox's notifications stay in order.",
  description: 'A signed, minimised notification addressed to one inbox (GP practice, MARAC, exceptions, LA).',
  schema: issuedNotification,
  partitions: 6,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** Every recorded child-protection plan version (started, changed, ended). */
export const cpPlanRecordedTopic = defineTopic({
  name: 'cp.plan-recorded.v1',
  key: '`<ONS code>:<planId>`, so the versions of one plan stay in order.',
  description: "A local authority's child protection plan version as recorded (the record of the flag).",
  schema: cpPlanRecorded,
  partitions: 6,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** Plans refused on their NHS number (unknown, inactive, not a child): the authority's inbox is told. */
export const cpPlanRefusedTopic = defineTopic({
  name: 'cp.plan-refused.v1',
  key: '`<ONS code>:<planId>`, as on cp.plan-recorded.v1.',
  description: 'A plan refused on its NHS number, with the reason; makes the notice to the authority.',
  schema: cpPlanRefused,
  partitions: 6,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** Unscheduled-care look-ups that found a flag: each makes an access notification to every owning authority. */
export const cpFlagAccessedTopic = defineTopic({
  name: 'cp.flag-accessed.v1',
  key: "The child's NHS number, so one child's accesses stay in order.",
  description: 'An unscheduled-care look-up that found at least one plan in scope: where, when, by whom.',
  schema: cpFlagAccessed,
  partitions: 6,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** FGM-IS indicators added and removed. */
export const fgmIndicatorRecordedTopic = defineTopic({
  name: 'cp.fgm-indicator-recorded.v1',
  key: "The girl's NHS number.",
  description: 'An FGM indicator added or removed by a clinician (the record of the indicator).',
  schema: fgmIndicatorRecorded,
  partitions: 6,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/**
 * The verifiable log's order: which audit events become which leaves (contracts/src/audit-log.ts). One partition, so
 * the order is total; a rebuild replays it into the same tree.
 */
export const auditSequenceTopic = defineTopic({
  name: 'audit.sequence.v1',
  key: "The log's origin (one partition: the key orders nothing).",
  description:
    "The audit log sequencer's decisions: leaves fromIndex..toIndex-1 are the audit events up to offsets upTo, by " +
    'partition then offset. Offsets and counts only, no personal data.',
  schema: auditSequenceRecord,
  partitions: 1,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** Every checkpoint the log signed, and each as cosigned by witnesses: hashes and signatures only. */
export const auditCheckpointsTopic = defineTopic({
  name: 'audit.checkpoints.v1',
  key: "The log's origin.",
  description:
    "The audit log's C2SP signed checkpoints (size, root hash, the signed note) and their witness cosignatures. " +
    'Hashes and signatures only, no personal data.',
  schema: auditCheckpointRecord,
  partitions: 1,
  retentionMs: FOREVER,
  cleanupPolicy: 'delete',
});

/** The deadline clock's ticks: the deadline stage fires what has fallen due (services/deadlines). */
export const deadlinesDueTopic = defineTopic({
  name: 'deadlines.due.v1',
  key: 'The notification id, so the ticks of one notification are handled in order, by one consumer.',
  description:
    "A notification's deadline may have passed (as of observedAt): the deadline stage decides and fires, once. " +
    'Ticks repeat until it has; none holds personal data.',
  schema: deadlineTick,
  partitions: 6,
  // Transient: the clock ticks again from the deadlines view for as long as something is still due.
  retentionMs: 7 * DAYS,
  cleanupPolicy: 'delete',
});

export const ALL_TOPICS: readonly TopicSpec[] = [
  serviceStarted,
  daIncidentReceivedTopic,
  daIncidentIdentifiedTopic,
  daIncidentDecidedTopic,
  cpPlanRecordedTopic,
  cpPlanRefusedTopic,
  cpFlagAccessedTopic,
  fgmIndicatorRecordedTopic,
  notificationsIssuedTopic,
  deadlinesDueTopic,
  auditEventsTopic,
  auditSequenceTopic,
  auditCheckpointsTopic,
];

export { FOREVER };
