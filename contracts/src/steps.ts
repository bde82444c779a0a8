import type { HttpOperationId } from './http-api.ts';
import type { HubViewName } from './state.ts';
import type { TopicSpec } from './topic.ts';
import {
  auditCheckpointsTopic,
  auditEventsTopic,
  auditSequenceTopic,
  cpFlagAccessedTopic,
  cpPlanRecordedTopic,
  cpPlanRefusedTopic,
  daIncidentDecidedTopic,
  daIncidentIdentifiedTopic,
  daIncidentReceivedTopic,
  deadlinesDueTopic,
  fgmIndicatorRecordedTopic,
  notificationsIssuedTopic,
  serviceStarted,
} from './topics.ts';

/**
 * Who writes and who reads each topic, declared once. Every Kafka step of the hub is an entry here: its service,
 * its consumer group and transactional id, what it reads and what it may write. Services bind their handlers to
 * these entries (`@hub/kafka` `bindStage` / `bindProjector`, `kafka.transaction(step, ...)`), which refuse an
 * output the step does not declare; `generate.ts` turns them into the AsyncAPI document's operations.
 */

/** The hub's services, as named in logs, audit events and the AsyncAPI document. */
export const HUB_SERVICES = {
  auth: 'Token endpoint and public keys.',
  'police-gateway': 'Takes police incidents; keeps the incident versions and the receipt status view.',
  identity: 'Matches each subject to a registered patient, or an exception with its reason.',
  'ig-engine': 'Decides, under the domestic-abuse policy, what is shared with whom and what is withheld.',
  dispatcher: 'Builds, minimises and signs each notification of a decision set.',
  'child-protection': 'Child protection plans, FGM indicators, the flag look-up and their notifications.',
  inbox: 'Holds each inbox; GP, MARAC and LA systems pull and acknowledge.',
  audit: 'Keeps the searchable audit trail; IG officers search it.',
  console: "The IG console: people's sign-in and sessions, timelines, content views with a reason, the dashboard.",
  deadlines:
    'Delivery deadlines: escalates what is not fetched or acknowledged in time, reports what is not delivered.',
  hub: 'The process itself: announces each start.',
} as const;
export type HubServiceName = keyof typeof HUB_SERVICES;

interface StepBase {
  readonly service: HubServiceName;
  readonly description: string;
}

/** Consume-transform-produce: each input's outputs and its offset commit in one Kafka transaction. */
export interface StageStep extends StepBase {
  readonly kind: 'stage';
  readonly groupId: string;
  readonly transactionalId: string;
  readonly input: TopicSpec;
  readonly outputs: readonly TopicSpec[];
  /** The view the stage also writes (idempotently), if any. */
  readonly view?: HubViewName;
  /** Views its handler reads (besides its own): while one is not ready, the stage waits. */
  readonly reads?: readonly HubViewName[];
}

/** Reads a topic into a view, at least once; applying a record twice changes nothing. Writes no topic. */
export interface ProjectorStep extends StepBase {
  readonly kind: 'projector';
  readonly groupId: string;
  readonly input: TopicSpec;
  readonly view: HubViewName;
  /**
   * Runs only when its view is rebuilt (replaying the topic), never live: live, the stage that writes its input
   * also writes the view, before its transaction commits, so every committed record is in the view already and a
   * live projector would write each one a second time (issue 10).
   */
  readonly rebuildOnly?: true;
}

/** What the service's HTTP routes write: per request, in one transaction under `transactionalId` (or published alone when null). */
export interface RequestStep extends StepBase {
  readonly kind: 'request';
  readonly transactionalId: string | null;
  readonly operations: readonly HttpOperationId[];
  readonly outputs: readonly TopicSpec[];
}

/** A publish that belongs to no request or input (e.g. the start announcement). */
export interface EventStep extends StepBase {
  readonly kind: 'event';
  readonly outputs: readonly TopicSpec[];
}

export type Step = StageStep | ProjectorStep | RequestStep | EventStep;

function step<const S extends Step>(spec: S): S {
  return Object.freeze(spec);
}

const AUDIT = auditEventsTopic;

export const STEPS = {
  tokenEndpoint: step({
    kind: 'request',
    service: 'auth',
    description:
      'Every token issued and every refusal (token endpoint and protected routes) is audited. Every process serves ' +
      'the token endpoint and the public keys.',
    transactionalId: null,
    operations: ['requestAccessToken', 'getJwks'],
    outputs: [AUDIT],
  }),
  incidentIntake: step({
    kind: 'request',
    service: 'police-gateway',
    description: 'A police submission: the received record and its audit event in one transaction.',
    transactionalId: 'police-gateway',
    operations: ['submitDomesticAbuseIncident', 'getReceiptStatus'],
    outputs: [daIncidentReceivedTopic, AUDIT],
  }),
  receiptStatusProjector: step({
    kind: 'projector',
    service: 'police-gateway',
    description: "The forces' receipt status view, from the audit trail.",
    groupId: 'police-gateway-receipt-status',
    input: AUDIT,
    view: 'receipt-status',
  }),
  incidentVersionsProjector: step({
    kind: 'projector',
    service: 'police-gateway',
    description:
      "Each incident's latest version and each receipt, from the received records (the intake writes the same " +
      'after its commit; whichever comes first, the other changes nothing).',
    groupId: 'police-gateway-incident-versions',
    input: daIncidentReceivedTopic,
    view: 'incident-versions',
  }),
  identity: step({
    kind: 'stage',
    service: 'identity',
    description: 'Received -> identified: each subject matched or excepted, one audit event per subject.',
    groupId: 'identity',
    transactionalId: 'identity',
    input: daIncidentReceivedTopic,
    outputs: [daIncidentIdentifiedTopic, AUDIT],
  }),
  igEngine: step({
    kind: 'stage',
    service: 'ig-engine',
    description: 'Identified -> decided: one decision per subject and the MARAC decision, each audited.',
    groupId: 'ig-engine',
    transactionalId: 'ig-engine',
    input: daIncidentIdentifiedTopic,
    outputs: [daIncidentDecidedTopic, AUDIT],
  }),
  dispatcher: step({
    kind: 'stage',
    service: 'dispatcher',
    description: 'Decided -> issued: a minimised, signed notification per share (and withdrawals), audited.',
    groupId: 'dispatcher',
    transactionalId: 'dispatcher',
    input: daIncidentDecidedTopic,
    outputs: [notificationsIssuedTopic, AUDIT],
    // Its lineage sets `amends` and withdrawals: never issue on a lineage being rebuilt.
    reads: ['amendment-lineage'],
  }),
  dispatcherLineage: step({
    kind: 'projector',
    service: 'dispatcher',
    description:
      "Issued notifications -> the amendment lineage (each slot's notifications and each receipt's filled slots, " +
      'by the offset of the decision they came from), so a rebuilt lineage is what was issued.',
    groupId: 'dispatcher-lineage',
    input: notificationsIssuedTopic,
    view: 'amendment-lineage',
    // Live, the dispatcher writes each issued record into the lineage before its transaction commits.
    rebuildOnly: true,
  }),
  planIntake: step({
    kind: 'request',
    service: 'child-protection',
    description: 'A plan version (or its refusal) with its audit event in one transaction; denials audited.',
    transactionalId: 'cp-plans',
    operations: ['putChildProtectionPlan', 'getChildProtectionPlan', 'getChildProtectionPlanStatus'],
    outputs: [cpPlanRecordedTopic, cpPlanRefusedTopic, AUDIT],
  }),
  fgmIntake: step({
    kind: 'request',
    service: 'child-protection',
    description: 'An FGM indicator version with its audit event in one transaction; denials audited.',
    transactionalId: 'cp-fgm',
    operations: ['putFgmIndicator'],
    outputs: [fgmIndicatorRecordedTopic, AUDIT],
  }),
  flagLookup: step({
    kind: 'request',
    service: 'child-protection',
    description: 'Every look-up audited; an unscheduled access that found a plan is recorded for the notifier.',
    transactionalId: 'cp-lookups',
    operations: ['getChildProtectionFlags'],
    outputs: [cpFlagAccessedTopic, AUDIT],
  }),
  planNotifier: step({
    kind: 'stage',
    service: 'child-protection',
    description: "Plan version -> a signed notification to the child's practice today, or the exceptions inbox.",
    groupId: 'cp-notifier-plans',
    transactionalId: 'cp-notifier-plans',
    input: cpPlanRecordedTopic,
    outputs: [notificationsIssuedTopic, AUDIT],
  }),
  refusalNotifier: step({
    kind: 'stage',
    service: 'child-protection',
    description: "Plan refusal -> a signed notice to the authority's inbox.",
    groupId: 'cp-notifier-refusals',
    transactionalId: 'cp-notifier-refusals',
    input: cpPlanRefusedTopic,
    outputs: [notificationsIssuedTopic, AUDIT],
  }),
  accessNotifier: step({
    kind: 'stage',
    service: 'child-protection',
    description: 'Unscheduled access -> a signed access notification to each owning authority.',
    groupId: 'cp-notifier-accesses',
    transactionalId: 'cp-notifier-accesses',
    input: cpFlagAccessedTopic,
    outputs: [notificationsIssuedTopic, AUDIT],
  }),
  planFlagProjector: step({
    kind: 'projector',
    service: 'child-protection',
    description: "Plan versions into each child's flags.",
    groupId: 'cp-flag-view-plans',
    input: cpPlanRecordedTopic,
    view: 'cp-flags',
  }),
  fgmFlagProjector: step({
    kind: 'projector',
    service: 'child-protection',
    description: "FGM indicator versions into each girl's flags.",
    groupId: 'cp-flag-view-fgm',
    input: fgmIndicatorRecordedTopic,
    view: 'cp-flags',
  }),
  accessFlagProjector: step({
    kind: 'projector',
    service: 'child-protection',
    description: "Unscheduled accesses into each child's recent accesses.",
    groupId: 'cp-flag-view-accesses',
    input: cpFlagAccessedTopic,
    view: 'cp-flags',
  }),
  planStatusProjector: step({
    kind: 'projector',
    service: 'child-protection',
    description:
      "The plan status view: each plan version's and look-up's notifications and how far each has got (stored, " +
      'fetched, acknowledged, overdue, escalated, not delivered), from the audit trail.',
    groupId: 'cp-plan-status',
    input: AUDIT,
    view: 'plan-status',
  }),
  planStatusAccesses: step({
    kind: 'projector',
    service: 'child-protection',
    description: 'Which plans each unscheduled-care look-up found, so its access notifications show on those plans.',
    groupId: 'cp-plan-status-accesses',
    input: cpFlagAccessedTopic,
    view: 'plan-status',
  }),
  inboxStore: step({
    kind: 'stage',
    service: 'inbox',
    description: 'Issued notification -> its inbox (idempotent), with notification-stored audited.',
    groupId: 'inbox-store',
    transactionalId: 'inbox-store',
    input: notificationsIssuedTopic,
    outputs: [AUDIT],
    view: 'inbox',
  }),
  inboxStates: step({
    kind: 'projector',
    service: 'inbox',
    description:
      'Fetches and acknowledgements from the audit trail into their inbox (forward only), so a rebuilt inbox has ' +
      'its states again.',
    groupId: 'inbox-states',
    input: AUDIT,
    view: 'inbox',
  }),
  inboxRequests: step({
    kind: 'request',
    service: 'inbox',
    description: 'Fetches and acknowledgements are audited before the inbox state moves; denials audited.',
    transactionalId: 'inbox-api',
    operations: ['listInboxNotifications', 'acknowledgeNotification'],
    outputs: [AUDIT],
  }),
  auditStore: step({
    kind: 'projector',
    service: 'audit',
    description: 'Every audit event into the searchable store (PostgreSQL), one transaction per fetched batch.',
    groupId: 'audit-store',
    input: AUDIT,
    view: 'audit',
  }),
  auditRequests: step({
    kind: 'request',
    service: 'audit',
    description: 'Every search is audited before anything is read.',
    transactionalId: null,
    operations: ['searchAuditEvents'],
    outputs: [AUDIT],
  }),
  consoleRequests: step({
    kind: 'request',
    service: 'console',
    description:
      'Sign-ins (and refusals) and sign-outs, timeline views (as audit-searched) and content views are audited; a ' +
      'content view is committed before the content is read.',
    transactionalId: null,
    operations: [
      'getConsoleSignInOptions',
      'signInToConsole',
      'getConsoleSession',
      'signOutOfConsole',
      'startConsoleOidcSignIn',
      'completeConsoleOidcSignIn',
      'getConsoleTimeline',
      'viewNotificationContent',
      'getSafeguardingDashboard',
      'getConsole',
      'getConsolePage',
      'getConsoleAsset',
    ],
    outputs: [AUDIT],
  }),
  auditLogSequencer: step({
    kind: 'event',
    service: 'audit',
    description:
      'The leader (a PostgreSQL session advisory lock) decides which stored audit events become the next leaves ' +
      'of the verifiable log, every 500 ms while there are new ones.',
    outputs: [auditSequenceTopic],
  }),
  auditLogApplier: step({
    kind: 'projector',
    service: 'audit',
    description:
      'Each sequence record assigns its leaf indexes and integrates them into the Merkle tree (tiles); a stale ' +
      "record (not at the tree's size) changes nothing.",
    groupId: 'audit-log-applier',
    input: auditSequenceTopic,
    view: 'audit',
  }),
  auditLogCheckpointer: step({
    kind: 'event',
    service: 'audit',
    description:
      "The leader signs a checkpoint of the tree's size and root at least every 2 s while the log grows, and " +
      'the same checkpoint once cosigned by the configured witnesses.',
    outputs: [auditCheckpointsTopic],
  }),
  auditLogCheckpoints: step({
    kind: 'projector',
    service: 'audit',
    description:
      'Keeps every checkpoint and the latest cosigned one; each is checked against the root the tree has at its ' +
      'size (after a rebuild too), a mismatch reported loudly.',
    groupId: 'audit-log-checkpoints',
    input: auditCheckpointsTopic,
    view: 'audit',
  }),
  auditLogRequests: step({
    kind: 'request',
    service: 'audit',
    description:
      "The log's checkpoints, tiles and proofs (hashes only), and the hub's own full verification of it (its last " +
      'result, or a run asked for); every read of an entry bundle is audited before anything is read.',
    transactionalId: null,
    operations: [
      'getAuditLogCheckpoint',
      'getAuditLogCosignedCheckpoint',
      'getAuditLogTile',
      'getAuditLogEntries',
      'getAuditLogInclusionProof',
      'getAuditLogConsistencyProof',
      'getAuditLogVerification',
      'verifyAuditLog',
    ],
    outputs: [AUDIT],
  }),
  deadlineSchedule: step({
    kind: 'projector',
    service: 'deadlines',
    description: "Each issued notification's deadlines into the deadlines view (when each falls, what then).",
    groupId: 'deadlines-schedule',
    input: notificationsIssuedTopic,
    view: 'deadlines',
  }),
  deadlineProgress: step({
    kind: 'projector',
    service: 'deadlines',
    description:
      "Fetches and acknowledgements, and the deadline stage's own decisions, from the audit trail into the " +
      'deadlines view, so what was met and what fired is rebuilt from the record.',
    groupId: 'deadlines-progress',
    input: AUDIT,
    view: 'deadlines',
  }),
  deadlineClock: step({
    kind: 'event',
    service: 'deadlines',
    description:
      "The deadline clock (a worker, the hub's clock): a tick for each notification with something due, once the " +
      'deadlines view has caught up with the audit trail of that instant. Ticks may repeat.',
    outputs: [deadlinesDueTopic],
  }),
  deadlineFirer: step({
    kind: 'stage',
    service: 'deadlines',
    description:
      'Tick -> what fell due, decided from the deadlines view: overdue, escalation notices, closures, non-delivery ' +
      'reports, each signed and audited with its rule, once per deadline however many ticks.',
    groupId: 'deadlines-firer',
    transactionalId: 'deadlines-firer',
    input: deadlinesDueTopic,
    outputs: [notificationsIssuedTopic, AUDIT],
    // Never decide on a view being rebuilt: a deadline would look unmet.
    reads: ['deadlines'],
  }),
  serviceStarted: step({
    kind: 'event',
    service: 'hub',
    description: 'Each process announces its start.',
    outputs: [serviceStarted],
  }),
} as const satisfies Record<string, Step>;

export type StepName = keyof typeof STEPS;
export const ALL_STEPS: readonly Step[] = Object.values(STEPS);
