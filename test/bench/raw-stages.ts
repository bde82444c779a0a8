/**
 * The raw pipeline's hops (raw-pipeline.ts): what each stage makes of one input, with the hub's record shapes
 * (@hub/contracts types), the seed's Whitlock family and the default policy's wording, the ES256 signing and the Redis
 * inbox writes. No Kafka here: raw-pipeline.ts moves the records.
 */
import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify as verifySignature,
  type KeyObject,
} from 'node:crypto';
import {
  auditEventsTopic,
  contentHash,
  contentId,
  daIncidentDecidedTopic,
  daIncidentIdentifiedTopic,
  daIncidentReceivedTopic,
  notificationsIssuedTopic,
  SIGNED_PAYLOADS,
  signedPayload,
  type AuditAction,
  type AuditEvent,
  type DaIncidentDecided,
  type DaIncidentIdentified,
  type DaIncidentReceived,
  type DaNotificationPayload,
  type Decision,
  type IssuedNotification,
  type SubjectIdentity,
} from '@hub/contracts';
import type { RedisClient } from '@hub/redis';
import { decodeUnverified } from '@hub/signing';
import { whitlockIncident } from '../e2e/whitlock.ts';

export const PER_INCIDENT = 5;
const SERVICE_OF = { intake: 'police-gateway', identity: 'identity', decide: 'ig-engine', dispatch: 'dispatcher' };

// ---------------------------------------------------------------------------------------------------------------
// The records: the hub's shapes (@hub/contracts types), the seed's Whitlock family, the policy's wording. What each
// stage computes is fixed (no directory, no policy evaluation): the anchor measures the hops, not the rules.
// ---------------------------------------------------------------------------------------------------------------

const FORCE = 'ASP';
const POLICY_VERSION = 'da-2026.11.2';
const LAWFUL_BASIS = ['uk-gdpr-6-1-e', 'uk-gdpr-9-2-g-dpa-sch1-para18', 'dpa-part3-sch8-para4'] as const;

/** How the identity service matches the Whitlock family (infra/seed/README.md). */
const IDENTITIES: readonly SubjectIdentity[] = [
  { ref: 'V1', outcome: 'matched', nhsNumber: '9991001018', practiceOds: 'L85901', matchedBy: 'nhs-number' },
  { ref: 'P1', outcome: 'matched', nhsNumber: '9991001026', practiceOds: 'L85904', matchedBy: 'nhs-number' },
  { ref: 'C1', outcome: 'matched', nhsNumber: '9991001034', practiceOds: 'L85901', matchedBy: 'demographic-trace' },
  { ref: 'C2', outcome: 'matched', nhsNumber: '9991001042', practiceOds: 'L85902', matchedBy: 'nhs-number' },
];
const DIRECTORY_VERSION = 'd'.repeat(64);
const nhsNumberOf = (ref: string | null): string | null => {
  const identity = IDENTITIES.find((candidate) => candidate.ref === ref);
  return identity?.outcome === 'matched' ? identity.nhsNumber : null;
};

/** The default policy's decisions for a high-risk Whitlock incident, with its reasons word for word. */
const DECISIONS = [
  {
    subjectRef: 'V1',
    role: 'victim',
    isChild: false,
    rule: 'DA-VICTIM-MARAC',
    recipient: 'gp:L85901',
    reason:
      'adult victim, MARAC criteria met (effective risk high; incidents in the last 12 months: 1, threshold 3): ' +
      'shared without needing consent',
  },
  {
    subjectRef: 'P1',
    role: 'perpetrator',
    isChild: false,
    rule: 'DA-PERPETRATOR',
    recipient: 'gp:L85904',
    reason:
      'adult perpetrator, MARAC criteria met (effective risk high; incidents in the last 12 months: 1, ' +
      'threshold 3): shared',
  },
  {
    subjectRef: 'C1',
    role: 'child',
    isChild: true,
    rule: 'DA-CHILD',
    recipient: 'gp:L85901',
    reason: 'child (role child), effective risk high: every child is notified to their practice at any risk level',
  },
  {
    subjectRef: 'C2',
    role: 'child',
    isChild: true,
    rule: 'DA-CHILD',
    recipient: 'gp:L85902',
    reason: 'child (role child), effective risk high: every child is notified to their practice at any risk level',
  },
  {
    subjectRef: null,
    role: null,
    isChild: null,
    rule: 'DA-MARAC',
    recipient: 'marac:E06000066',
    reason:
      "MARAC criteria met (effective risk high; incidents in the last 12 months: 1, threshold 3): referred to the area's MARAC",
  },
] as const;

/** Inboxes and how many notifications each gets per incident. */
export const INBOXES = { 'gp:L85901': 2, 'gp:L85902': 1, 'gp:L85904': 1, 'marac:E06000066': 1 } as const;

/** When an input was handled and its trace: one per input, as the hub's trace context. */
interface Step {
  readonly at: string;
  readonly traceId: string;
}
const stepNow = (at = new Date().toISOString()): Step => ({ at, traceId: randomBytes(16).toString('hex') });

function auditOf(service: string, action: AuditAction, { at, traceId }: Step, fields: Partial<AuditEvent>): AuditEvent {
  const event = {
    at,
    service,
    action,
    traceId,
    actor: null,
    receiptId: fields.receiptId ?? null,
    incidentRef: fields.incidentRef ?? null,
    subjectRef: fields.subjectRef ?? null,
    nhsNumber: fields.nhsNumber ?? null,
    recipient: fields.recipient ?? null,
    notificationId: fields.notificationId ?? null,
    decision: fields.decision ?? null,
    reason: fields.reason ?? null,
  };
  // Content-derived, as @hub/audit's: a redelivered step gives the same id, so a double commit shows as a repeat.
  const identity = [service, action, event.receiptId, event.subjectRef, event.notificationId, event.decision?.rule];
  return { eventId: contentId('aud', ...identity.map((part) => part ?? '')), ...event };
}

function received(incidentId: string): DaIncidentReceived {
  const submission = whitlockIncident({ incidentId });
  const hash = contentHash(submission);
  return {
    receiptId: contentId('rcpt', FORCE, incidentId, hash, ''),
    force: FORCE,
    incidentId,
    contentHash: hash,
    amendsReceiptId: null,
    receivedAt: new Date().toISOString(),
    submittedBy: 'bench-police',
    submission,
  };
}

type GpExample = (typeof SIGNED_PAYLOADS)['da-gp-notification']['examples'][number]['value'];

/** The documented example payloads (@hub/contracts), made this incident's: its ids, its reference. */
function payloadsOf(decided: DaIncidentDecided): DaNotificationPayload[] {
  const { received: incident } = decided.identified;
  const reference = { force: incident.force, incidentId: incident.incidentId };
  const idsOf = (decision: Decision, kind: string) => ({
    notificationId: contentId('ntf', incident.receiptId, decision.recipient ?? '', decision.subjectRef ?? '', kind),
    receiptId: incident.receiptId,
    decisionId: decision.decisionId,
  });
  const [victim, perpetrator, child] = SIGNED_PAYLOADS['da-gp-notification'].examples.map(({ value }) => value);
  const referral = SIGNED_PAYLOADS['da-marac-referral'].examples[0].value;
  const [v1, p1, c1, c2, marac] = decided.decisions.decisions;
  const gp = (decision: Decision, example: GpExample) => ({
    ...example,
    ...idsOf(decision, 'da-gp-notification'),
    incident: { ...reference, occurredOn: example.incident.occurredOn },
  });
  return [
    gp(v1!, victim!),
    gp(p1!, perpetrator!),
    {
      ...gp(c1!, child!),
      recipient: 'gp:L85901',
      patient: { nhsNumber: '9991001034', name: { given: 'Mia', family: 'Whitlock' } },
    },
    gp(c2!, child!),
    {
      ...referral,
      ...idsOf(marac!, 'da-marac-referral'),
      incident: { ...referral.incident, ...reference },
    },
  ] as DaNotificationPayload[];
}

// ---------------------------------------------------------------------------------------------------------------
// Signing: ES256 compact JWS with node:crypto, header { alg, kid, typ } as @hub/signing writes it.
// ---------------------------------------------------------------------------------------------------------------

export interface Signer {
  readonly kid: string;
  readonly publicKey: KeyObject;
  sign(payload: DaNotificationPayload): string;
}

export function createSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { crv, x, y } = publicKey.export({ format: 'jwk' });
  // The RFC 7638 thumbprint, as @hub/signing's generated keys have for their kid.
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv, kty: 'EC', x, y }))
    .digest('base64url');
  const headers = new Map<string, string>();
  return {
    kid,
    publicKey,
    sign(payload) {
      let header = headers.get(payload.kind);
      if (header === undefined) {
        header = Buffer.from(JSON.stringify({ alg: 'ES256', kid, typ: `${payload.kind}+jws` })).toString('base64url');
        headers.set(payload.kind, header);
      }
      const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${input}.${signature.toString('base64url')}`;
    },
  };
}

export function signatureHolds(jws: string, publicKey: KeyObject): boolean {
  const last = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(last + 1), 'base64url');
  return verifySignature(
    'sha256',
    Buffer.from(jws.slice(0, last)),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    signature,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The stages: what each makes of one input. Keys as on the hub's topics (contracts/src/topics.ts).
// ---------------------------------------------------------------------------------------------------------------

export interface Output {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
}

/** A notification to store in its inbox at its position (its offset on the issued topic), before the commit. */
export interface InboxWrite {
  readonly notification: IssuedNotification;
  readonly position: string;
}

export interface Stage {
  readonly name: 'identity' | 'ig-engine' | 'dispatcher' | 'inbox';
  readonly input: string;
  transform(value: string, offset: string): { readonly outputs: Output[]; readonly write?: InboxWrite };
}

const audit = (key: string, event: AuditEvent): Output => ({
  topic: auditEventsTopic.name,
  key,
  value: JSON.stringify(event),
});

export function intakeOutputs(incidentId: string): Output[] {
  const record = received(incidentId);
  const incidentRef = `${FORCE}:${incidentId}`;
  return [
    { topic: daIncidentReceivedTopic.name, key: incidentRef, value: JSON.stringify(record) },
    audit(
      record.receiptId,
      auditOf(SERVICE_OF.intake, 'incident-received', stepNow(record.receivedAt), {
        receiptId: record.receiptId,
        incidentRef,
      }),
    ),
  ];
}

export const identityStage: Stage = {
  name: 'identity',
  input: daIncidentReceivedTopic.name,
  transform(value) {
    const incident = JSON.parse(value) as DaIncidentReceived;
    const identified: DaIncidentIdentified = {
      received: incident,
      identities: [...IDENTITIES],
      directoryVersion: DIRECTORY_VERSION,
    };
    const incidentRef = `${incident.force}:${incident.incidentId}`;
    const step = stepNow();
    return {
      outputs: [
        { topic: daIncidentIdentifiedTopic.name, key: incidentRef, value: JSON.stringify(identified) },
        ...IDENTITIES.map((identity) =>
          audit(
            incident.receiptId,
            auditOf(SERVICE_OF.identity, 'subject-matched', step, {
              receiptId: incident.receiptId,
              incidentRef,
              subjectRef: identity.ref,
              nhsNumber: nhsNumberOf(identity.ref),
              reason: identity.outcome === 'matched' ? identity.matchedBy : identity.reason,
            }),
          ),
        ),
      ],
    };
  },
};

export const igEngineStage: Stage = {
  name: 'ig-engine',
  input: daIncidentIdentifiedTopic.name,
  transform(value) {
    const identified = JSON.parse(value) as DaIncidentIdentified;
    const { receiptId, submission, force, incidentId } = identified.received;
    const decisions: Decision[] = DECISIONS.map((d) => ({
      decisionId: contentId('dec', receiptId, d.rule, d.subjectRef ?? '', d.recipient, POLICY_VERSION),
      receiptId,
      rule: d.rule,
      policyVersion: POLICY_VERSION,
      subjectRef: d.subjectRef,
      outcome: 'share',
      recipient: d.recipient,
      wouldShareUnder: null,
      reason: d.reason,
      lawfulBasis: [...LAWFUL_BASIS],
      facts: {
        role: d.role,
        isChild: d.isChild,
        effectiveRisk: 'high',
        maracCriteriaMet: true,
        involvesChild: true,
        consent: submission.victimConsent,
        identityException: null,
      },
    }));
    const decided: DaIncidentDecided = {
      identified,
      decisions: {
        receiptId,
        policyVersion: POLICY_VERSION,
        localAuthority: submission.localAuthority,
        thresholds: { highYesCount: 14, mediumYesCount: 10, maracRepeatThreshold: 3, adultAge: 18 },
        effectiveRisk: 'high',
        maracCriteriaMet: true,
        decisions,
      },
    };
    const incidentRef = `${force}:${incidentId}`;
    const step = stepNow();
    return {
      outputs: [
        { topic: daIncidentDecidedTopic.name, key: incidentRef, value: JSON.stringify(decided) },
        ...decisions.map((decision) =>
          audit(
            receiptId,
            auditOf(SERVICE_OF.decide, 'decision-recorded', step, {
              receiptId,
              incidentRef,
              subjectRef: decision.subjectRef,
              nhsNumber: nhsNumberOf(decision.subjectRef),
              recipient: decision.recipient,
              decision: {
                rule: decision.rule,
                policyVersion: decision.policyVersion,
                outcome: decision.outcome,
                lawfulBasis: decision.lawfulBasis,
                reason: decision.reason,
              },
            }),
          ),
        ),
      ],
    };
  },
};

export function dispatcherStage(signer: Signer): Stage {
  return {
    name: 'dispatcher',
    input: daIncidentDecidedTopic.name,
    transform(value) {
      const decided = JSON.parse(value) as DaIncidentDecided;
      const { receiptId, force, incidentId } = decided.identified.received;
      const incidentRef = `${force}:${incidentId}`;
      const step = stepNow();
      const decisions = decided.decisions.decisions;
      // As the hub's dispatcher: the issued record, then its notification-routed and notification-signed events.
      const outputs = payloadsOf(decided).flatMap((payload, index): Output[] => {
        const subjectRef = decisions[index]?.subjectRef ?? null;
        const notification: IssuedNotification = {
          notificationId: payload.notificationId,
          recipient: payload.recipient,
          kind: payload.kind,
          receiptId,
          subjectRef,
          amends: null,
          issuedAt: step.at,
          jws: signer.sign(payload),
        };
        const fields = {
          receiptId,
          incidentRef,
          subjectRef,
          nhsNumber: nhsNumberOf(subjectRef),
          recipient: payload.recipient,
          notificationId: payload.notificationId,
        };
        return [
          { topic: notificationsIssuedTopic.name, key: payload.recipient, value: JSON.stringify(notification) },
          audit(receiptId, auditOf(SERVICE_OF.dispatch, 'notification-routed', step, fields)),
          audit(
            receiptId,
            auditOf(SERVICE_OF.dispatch, 'notification-signed', step, { ...fields, reason: signer.kid }),
          ),
        ];
      });
      return { outputs };
    },
  };
}

export const inboxStage: Stage = {
  name: 'inbox',
  input: notificationsIssuedTopic.name,
  transform(value, offset) {
    const notification = JSON.parse(value) as IssuedNotification;
    const event = auditOf('inbox', 'notification-stored', stepNow(), {
      receiptId: notification.receiptId,
      recipient: notification.recipient,
      subjectRef: notification.subjectRef,
      notificationId: notification.notificationId,
    });
    return { outputs: [audit(notification.receiptId, event)], write: { notification, position: offset } };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Redis: the inbox view as services/inbox/src/store.ts keeps it (a hash per notification, a sorted set per inbox),
// appended once per notification by a script loaded once and called by its hash, one pipeline per transaction.
// ---------------------------------------------------------------------------------------------------------------

const APPEND = `
if redis.call('hsetnx', KEYS[2], 'position', ARGV[2]) == 0 then return 0 end
redis.call('hset', KEYS[2], 'recipient', ARGV[1], 'kind', ARGV[3], 'receiptId', ARGV[4], 'amends', ARGV[5],
  'issuedAt', ARGV[6], 'status', 'delivered', 'jws', ARGV[7], 'subjectRef', ARGV[8])
redis.call('zadd', KEYS[1], 0, ARGV[9])
return 1`;

export const itemsKey = (recipient: string): string => `inbox:${recipient}:items`;
const notificationKey = (id: string): string => `notification:${id}`;

export interface InboxWriter {
  /** Appends each notification; calls `onNew` for those stored for the first time. */
  write(writes: readonly InboxWrite[]): Promise<void>;
}

export async function createInboxWriter(
  redis: RedisClient,
  onNew: (notification: IssuedNotification) => void,
): Promise<InboxWriter> {
  const sha = (await redis.script('LOAD', APPEND)) as string;
  return {
    async write(writes) {
      const pipeline = redis.pipeline();
      for (const { notification, position } of writes) {
        pipeline.evalsha(
          sha,
          2,
          itemsKey(notification.recipient),
          notificationKey(notification.notificationId),
          notification.recipient,
          position,
          notification.kind,
          notification.receiptId,
          notification.amends ?? '',
          notification.issuedAt,
          notification.jws,
          notification.subjectRef ?? '',
          `${position.padStart(19, '0')}:${notification.notificationId}`,
        );
      }
      const results = (await pipeline.exec()) ?? [];
      if (results.length !== writes.length)
        throw new Error(`raw: inbox pipeline answered ${results.length} of ${writes.length}`);
      results.forEach(([error, stored], index) => {
        if (error !== null) throw error;
        if (stored === 1) onNew(writes[index]!.notification);
      });
    },
  };
}

/** The hub's audit events per incident: received 1, one per subject, one per decision, two per notification, one per stored. */
export const AUDITS_PER_INCIDENT = 1 + IDENTITIES.length + DECISIONS.length + 2 * PER_INCIDENT + PER_INCIDENT;

const TOPIC_SPECS = [
  daIncidentReceivedTopic,
  daIncidentIdentifiedTopic,
  daIncidentDecidedTopic,
  notificationsIssuedTopic,
  auditEventsTopic,
];

/**
 * Runs one incident through every stage, untimed, and parses each record with its topic's contract (and each signed
 * payload with the payload contract), so the anchor moves the hub's records and not look-alikes. Throws on the
 * first that does not parse.
 */
export function assertHubShapes(signer: Signer): void {
  const stages = [identityStage, igEngineStage, dispatcherStage(signer), inboxStage];
  let outputs = intakeOutputs('ASP-RAW-SHAPE-CHECK');
  for (const stage of stages) {
    for (const output of outputs) {
      const spec = TOPIC_SPECS.find((topic) => topic.name === output.topic);
      if (spec === undefined) throw new Error(`raw: output to unknown topic ${output.topic}`);
      spec.schema.parse(JSON.parse(output.value));
      if (spec === notificationsIssuedTopic) {
        signedPayload.parse(decodeUnverified((JSON.parse(output.value) as IssuedNotification).jws).payload);
      }
    }
    outputs = outputs
      .filter((output) => output.topic === stage.input)
      .flatMap((output, index) => stage.transform(output.value, String(index)).outputs);
  }
  for (const output of outputs) auditEventsTopic.schema.parse(JSON.parse(output.value));
}
