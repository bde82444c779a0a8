/**
 * The anchor of issue 10: the hub's domestic-abuse hops written directly on kafkajs, without @hub/kafka or any
 * service, to measure what Kafka, Redis and signing allow on this machine. received -> identified -> decided ->
 * issued (five notifications per incident, each an ES256 compact JWS signed with node:crypto) -> Redis inbox writes,
 * with the hub's audit records on every stage; exactly once: read_committed consumers, transactional producers with
 * sendOffsets, one transaction per fetched batch (split only at Kafka's 1 MiB limit). A burst of incidents is
 * published up front and drained; `./hub bench raw e2e` prints the hub's burst drain as a share of this one.
 *
 *   node test/bench/raw-pipeline.ts [--raw-burst=2000] [--timeout-s=300]
 */
import { generateKeyPairSync, randomBytes, sign, verify as verifySignature, type KeyObject } from 'node:crypto';
// The one file outside @hub/kafka that imports kafkajs (eslint.config.js): the anchor measures without our layer.
import kafkajs, { type Consumer, type EachBatchPayload, type Producer, type TopicMessages } from 'kafkajs';
import {
  auditEventsTopic,
  contentId,
  daIncidentDecidedTopic,
  daIncidentIdentifiedTopic,
  daIncidentReceivedTopic,
  notificationsIssuedTopic,
  SIGNED_PAYLOADS,
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
import { createLogger } from '@hub/logger';
import { closeRedis, createRedis, pingRedis, scanKeys, type RedisClient } from '@hub/redis';
import { publicJwks, verify } from '@hub/signing';
import { whitlockIncident } from '../e2e/whitlock.ts';
import {
  intOption,
  now,
  perSecond,
  progress,
  runStandalone,
  sleep,
  withDeadline,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';

const { Kafka, logLevel, Partitioners } = kafkajs;

interface RawBenchOptions {
  readonly brokers: string[];
  readonly redisUrl: string;
  readonly burst: number;
  readonly timeoutMs: number;
}

export function rawOptions(argv: readonly string[]): RawBenchOptions {
  return {
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim()),
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6380',
    burst: intOption(argv, 'raw-burst', 'BENCH_RAW_BURST', 2_000),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_RAW_TIMEOUT_S', 300) * 1000,
  };
}

/** The case run.ts divides the hub's burst drain by. */
export const RAW_DRAIN_CASE = 'burst: first input → all 5 notifications of every incident in the inboxes';

const WARM_UP = 20;
const PER_INCIDENT = 5;
/**
 * Outputs of one transaction, in bytes of keys and values. The broker refuses a partition's record batch over its
 * message.max.bytes (1 MiB by default); a transaction under it can never hold such a batch, so a fetched batch is one
 * transaction unless its outputs would pass this, and then as few as fit.
 */
const MAX_TRANSACTION_BYTES = 900 * 1024;
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
const INBOXES = { 'gp:L85901': 2, 'gp:L85902': 1, 'gp:L85904': 1, 'marac:E06000066': 1 } as const;

function auditOf(service: string, action: AuditAction, at: string, fields: Partial<AuditEvent>): AuditEvent {
  const event = {
    at,
    service,
    action,
    traceId: randomBytes(16).toString('hex'),
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
  const contentHash = contentId('sha', JSON.stringify(submission)).slice(4).repeat(2);
  return {
    receiptId: contentId('rcpt', FORCE, incidentId, contentHash, ''),
    force: FORCE,
    incidentId,
    contentHash,
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

interface Signer {
  readonly kid: string;
  readonly publicKey: KeyObject;
  sign(payload: DaNotificationPayload): string;
}

function createSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { crv, x, y } = publicKey.export({ format: 'jwk' });
  // RFC 7638 thumbprint, as @hub/signing's generated keys use for their kid.
  const kid = contentId('kid', JSON.stringify({ crv, kty: 'EC', x, y })).slice(4);
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

function signatureHolds(jws: string, publicKey: KeyObject): boolean {
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

interface Output {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
}

/** A notification to store in its inbox at its position (its offset on the issued topic), before the commit. */
interface InboxWrite {
  readonly notification: IssuedNotification;
  readonly position: string;
}

interface Stage {
  readonly name: 'identity' | 'ig-engine' | 'dispatcher' | 'inbox';
  readonly input: string;
  transform(value: string, offset: string): { readonly outputs: Output[]; readonly write?: InboxWrite };
}

const audit = (key: string, event: AuditEvent): Output => ({
  topic: auditEventsTopic.name,
  key,
  value: JSON.stringify(event),
});

function intakeOutputs(incidentId: string): Output[] {
  const record = received(incidentId);
  const incidentRef = `${FORCE}:${incidentId}`;
  return [
    { topic: daIncidentReceivedTopic.name, key: incidentRef, value: JSON.stringify(record) },
    audit(
      record.receiptId,
      auditOf(SERVICE_OF.intake, 'incident-received', record.receivedAt, { receiptId: record.receiptId, incidentRef }),
    ),
  ];
}

const identityStage: Stage = {
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
    const at = new Date().toISOString();
    return {
      outputs: [
        { topic: daIncidentIdentifiedTopic.name, key: incidentRef, value: JSON.stringify(identified) },
        ...IDENTITIES.map((identity) =>
          audit(
            incident.receiptId,
            auditOf(SERVICE_OF.identity, 'subject-matched', at, {
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

const igEngineStage: Stage = {
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
    const at = new Date().toISOString();
    return {
      outputs: [
        { topic: daIncidentDecidedTopic.name, key: incidentRef, value: JSON.stringify(decided) },
        ...decisions.map((decision) =>
          audit(
            receiptId,
            auditOf(SERVICE_OF.decide, 'decision-recorded', at, {
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

function dispatcherStage(signer: Signer): Stage {
  return {
    name: 'dispatcher',
    input: daIncidentDecidedTopic.name,
    transform(value) {
      const decided = JSON.parse(value) as DaIncidentDecided;
      const { receiptId, force, incidentId } = decided.identified.received;
      const incidentRef = `${force}:${incidentId}`;
      const at = new Date().toISOString();
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
          issuedAt: at,
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
          audit(receiptId, auditOf(SERVICE_OF.dispatch, 'notification-routed', at, fields)),
          audit(receiptId, auditOf(SERVICE_OF.dispatch, 'notification-signed', at, { ...fields, reason: signer.kid })),
        ];
      });
      return { outputs };
    },
  };
}

const inboxStage: Stage = {
  name: 'inbox',
  input: notificationsIssuedTopic.name,
  transform(value, offset) {
    const notification = JSON.parse(value) as IssuedNotification;
    const event = auditOf('inbox', 'notification-stored', new Date().toISOString(), {
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

const itemsKey = (recipient: string): string => `inbox:${recipient}:items`;
const notificationKey = (id: string): string => `notification:${id}`;

interface InboxWriter {
  /** Appends each notification; calls `onNew` for those stored for the first time. */
  write(writes: readonly InboxWrite[]): Promise<void>;
}

async function createInboxWriter(
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

// ---------------------------------------------------------------------------------------------------------------
// Kafka: transactional producers (one per stage and input partition, as @hub/kafka's partition producers) and
// read_committed consumers, one transaction per fetched batch.
// ---------------------------------------------------------------------------------------------------------------

type KafkaInstance = InstanceType<typeof Kafka>;

interface Pipeline {
  readonly kafka: KafkaInstance;
  readonly namespace: string;
  readonly inbox: InboxWriter;
  /** Stops every wait: a consumer crashed for good. */
  fail(error: unknown): void;
}

async function transactionalProducer(kafka: KafkaInstance, transactionalId: string): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 60_000,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    // Retry CONCURRENT_TRANSACTIONS after 20 ms as Java's producer does, not kafkajs's 300 ms (README, Results).
    retry: { initialRetryTime: 20, maxRetryTime: 5_000, retries: 10 },
  });
  await producer.connect();
  return producer;
}

const isRetriable = (error: unknown): boolean =>
  error instanceof Error && 'retriable' in error && (error as { retriable?: unknown }).retriable === true;

/**
 * Outputs (and the input offset, if any) in one transaction. A retriable error (kafkajs does not retry
 * CONCURRENT_TRANSACTIONS from sendOffsets, its issue 430) aborts and retries the whole transaction.
 */
async function commitTransaction(
  producer: Producer,
  outputs: readonly Output[],
  namespace: string,
  offsets?: { readonly groupId: string; readonly topic: string; readonly partition: number; readonly next: string },
): Promise<void> {
  const byTopic = new Map<string, TopicMessages>();
  for (const { topic, key, value } of outputs) {
    const physical = namespace + topic;
    let entry = byTopic.get(physical);
    if (entry === undefined) byTopic.set(physical, (entry = { topic: physical, messages: [] }));
    entry.messages.push({ key, value });
  }
  for (let attempt = 1; ; attempt++) {
    const transaction = await producer.transaction();
    try {
      await transaction.sendBatch({ topicMessages: [...byTopic.values()], acks: -1 });
      if (offsets !== undefined) {
        await transaction.sendOffsets({
          consumerGroupId: offsets.groupId,
          topics: [{ topic: offsets.topic, partitions: [{ partition: offsets.partition, offset: offsets.next }] }],
        });
      }
      await transaction.commit();
      return;
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      if (attempt >= 5 || !isRetriable(error)) throw error;
      await sleep(20 * attempt);
    }
  }
}

const outputBytes = (outputs: readonly Output[]): number =>
  outputs.reduce((sum, { key, value }) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);

interface RunningStage {
  readonly name: string;
  readonly groupId: string;
  /** Transactions committed and inputs they held, so far. */
  readonly counts: { transactions: number; inputs: number };
  stop(): Promise<void>;
}

async function startStage(pipeline: Pipeline, stage: Stage, partitions: number): Promise<RunningStage> {
  const { kafka, namespace } = pipeline;
  const groupId = `${namespace}raw-${stage.name}`;
  const topic = namespace + stage.input;
  const counts = { transactions: 0, inputs: 0 };
  const producers = new Map<number, Promise<Producer>>();
  const producerFor = (partition: number): Promise<Producer> => {
    let producer = producers.get(partition);
    if (producer === undefined) {
      producer = transactionalProducer(kafka, `${groupId}-${partition}`);
      producers.set(partition, producer);
    }
    return producer;
  };
  const consumer: Consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    sessionTimeout: 15_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 1_000,
    allowAutoTopicCreation: false,
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) pipeline.fail(new Error(`raw ${stage.name}: consumer stopped`, { cause: payload.error }));
  });

  interface Chunk {
    outputs: Output[];
    writes: InboxWrite[];
    bytes: number;
    inputs: number;
    lastOffset: string;
  }
  const emptyChunk = (): Chunk => ({ outputs: [], writes: [], bytes: 0, inputs: 0, lastOffset: '' });

  async function commit(chunk: Chunk, partition: number, payload: EachBatchPayload): Promise<void> {
    if (chunk.writes.length > 0) await pipeline.inbox.write(chunk.writes);
    const next = (BigInt(chunk.lastOffset) + 1n).toString();
    await commitTransaction(await producerFor(partition), chunk.outputs, namespace, {
      groupId,
      topic,
      partition,
      next,
    });
    payload.resolveOffset(chunk.lastOffset);
    counts.transactions += 1;
    counts.inputs += chunk.inputs;
    await payload.heartbeat();
  }

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: partitions,
    eachBatch: async (payload) => {
      const { batch } = payload;
      let chunk = emptyChunk();
      for (const message of batch.messages) {
        if (!payload.isRunning() || payload.isStale()) return; // uncommitted: fetched again by the next owner
        const { outputs, write } = stage.transform(message.value?.toString('utf8') ?? 'null', message.offset);
        const bytes = outputBytes(outputs);
        if (chunk.inputs > 0 && chunk.bytes + bytes > MAX_TRANSACTION_BYTES) {
          await commit(chunk, batch.partition, payload);
          chunk = emptyChunk();
        }
        chunk.outputs.push(...outputs);
        if (write !== undefined) chunk.writes.push(write);
        chunk.bytes += bytes;
        chunk.inputs += 1;
        chunk.lastOffset = message.offset;
      }
      if (chunk.inputs > 0) await commit(chunk, batch.partition, payload);
    },
  });
  return {
    name: stage.name,
    groupId,
    counts,
    async stop() {
      await consumer.disconnect();
      const settled = await Promise.allSettled(producers.values());
      await Promise.allSettled(
        settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value.disconnect()] : [])),
      );
    },
  };
}

/** The police side: each incident's received record and its audit event, in transactions of at most the bound. */
async function publishIncidents(
  producer: Producer,
  namespace: string,
  incidentIds: readonly string[],
): Promise<number> {
  let transactions = 0;
  let pending: Output[] = [];
  let bytes = 0;
  for (const incidentId of incidentIds) {
    const outputs = intakeOutputs(incidentId);
    const size = outputBytes(outputs);
    if (pending.length > 0 && bytes + size > MAX_TRANSACTION_BYTES) {
      await commitTransaction(producer, pending, namespace);
      transactions += 1;
      pending = [];
      bytes = 0;
    }
    pending.push(...outputs);
    bytes += size;
  }
  if (pending.length > 0) {
    await commitTransaction(producer, pending, namespace);
    transactions += 1;
  }
  return transactions;
}

// ---------------------------------------------------------------------------------------------------------------
// The run: fresh topics and key prefix, stages started and warmed up, the burst published and drained, everything
// checked, then deleted.
// ---------------------------------------------------------------------------------------------------------------

const TOPICS = [
  daIncidentReceivedTopic,
  daIncidentIdentifiedTopic,
  daIncidentDecidedTopic,
  notificationsIssuedTopic,
  auditEventsTopic,
] as const;
/** The hub's audit events per incident: received 1, one per subject, one per decision, two per notification, one per stored. */
const AUDITS_PER_INCIDENT = 1 + IDENTITIES.length + DECISIONS.length + 2 * PER_INCIDENT + PER_INCIDENT;

export async function rawPipeline(options: RawBenchOptions): Promise<BenchRow[]> {
  const deadline = now() + options.timeoutMs;
  const left = (): number => deadline - now();
  const run = randomBytes(4).toString('hex');
  const namespace = `raw${run}.`;
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING, // silent like the other benchmarks; failures surface as errors and crash events
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
  });
  const admin = kafka.admin();
  const redis = createRedis({
    url: options.redisUrl,
    keyPrefix: `bench:raw${run}:`,
    connectionName: 'bench-raw',
    logger: createLogger({ service: 'bench', level: 'silent' }),
  });
  const stages: RunningStage[] = [];
  const checkGroup = `${namespace}raw-check`;
  let intake: Producer | undefined;
  let ended = false;
  let failWith: (error: unknown) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => (failWith = reject));
  failure.catch(() => undefined); // observed by the waits below; never unhandled

  /** Waits until `done()`, failing at the deadline or when a stage stopped for good. */
  async function until(done: () => boolean, ms: number, what: string): Promise<void> {
    const polled = (async () => {
      while (!done() && !ended) await sleep(5);
    })();
    await withDeadline(Promise.race([polled, failure]), ms, `raw ${what}`);
  }

  // Notifications stored for the first time, per receipt, and when the last one was.
  const storedPerReceipt = new Map<string, number>();
  let stored = 0;
  let lastStoredAt = 0;
  const onStored = (notification: IssuedNotification): void => {
    storedPerReceipt.set(notification.receiptId, (storedPerReceipt.get(notification.receiptId) ?? 0) + 1);
    stored += 1;
    lastStoredAt = now();
  };
  const ids = (phase: string, count: number): string[] =>
    Array.from({ length: count }, (_, i) => `ASP-RAW-${run}-${phase}-${String(i + 1).padStart(5, '0')}`);

  async function measure(): Promise<BenchRow[]> {
    await withDeadline(
      Promise.all([admin.connect(), pingRedis(redis, 5_000)]),
      Math.min(30_000, left()),
      'raw connect',
    );
    await admin.createTopics({
      waitForLeaders: true,
      topics: TOPICS.map((topic) => ({
        topic: namespace + topic.name,
        numPartitions: topic.partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'retention.ms', value: String(60 * 60 * 1000) }],
      })),
    });
    progress(`raw: namespace ${namespace} on ${options.brokers.join(',')}, a burst of ${options.burst} incidents`);
    const signer = createSigner();
    const pipeline: Pipeline = {
      kafka,
      namespace,
      inbox: await createInboxWriter(redis, onStored),
      fail: (error) => {
        failWith(error);
      },
    };
    const partitions = Math.max(...TOPICS.map((topic) => topic.partitions));
    for (const stage of [identityStage, igEngineStage, dispatcherStage(signer), inboxStage]) {
      stages.push(await startStage(pipeline, stage, partitions));
    }
    intake = await transactionalProducer(kafka, `${namespace}raw-intake`);

    // Warm-up, untimed: group joins, producers, JIT.
    const warm = ids('W', WARM_UP);
    await publishIncidents(intake, namespace, warm);
    await until(() => stored >= warm.length * PER_INCIDENT, Math.min(60_000, left()), 'warm-up');
    const before = stages.map((stage) => ({ ...stage.counts }));

    // The burst: published up front, drained until every notification is in its inbox.
    const burst = ids('B', options.burst);
    const expected = (warm.length + burst.length) * PER_INCIDENT;
    const started = now();
    const intakeTransactions = await withDeadline(publishIncidents(intake, namespace, burst), left(), 'raw intake');
    const published = now() - started;
    await until(() => stored >= expected, left(), 'burst drain');
    const elapsed = lastStoredAt - started;
    const perStage = stages
      .map((stage, index) => {
        const transactions = stage.counts.transactions - before[index]!.transactions;
        const inputs = stage.counts.inputs - before[index]!.inputs;
        return `${stage.name} ${transactions} (${(inputs / Math.max(1, transactions)).toFixed(0)} inputs each)`;
      })
      .join(', ');
    const notifications = burst.length * PER_INCIDENT;
    const rows: BenchRow[] = [
      {
        bench: 'raw',
        case: 'burst intake: received + audit record per incident, transactional',
        count: burst.length,
        perSecond: perSecond(burst.length, published),
        note: `${intakeTransactions} transactions of at most ${MAX_TRANSACTION_BYTES / 1024} KiB`,
      },
      {
        bench: 'raw',
        case: RAW_DRAIN_CASE,
        count: burst.length,
        perSecond: perSecond(burst.length, elapsed),
        note: `${notifications} notifications in ${(elapsed / 1000).toFixed(1)} s; ops/s = incidents/s; transactions: ${perStage}`,
      },
      {
        bench: 'raw',
        case: 'burst: notifications stored in their inboxes',
        count: notifications,
        perSecond: perSecond(notifications, elapsed),
        note: 'ops/s = notifications/s, same span',
      },
    ];

    // Untimed: exactly once, end to end, and every signature.
    await sleep(1_000); // a late repeat would show
    if (stored !== expected) throw new Error(`raw: ${stored} notifications stored, expected ${expected}`);
    const short = [...storedPerReceipt.values()].filter((count) => count !== PER_INCIDENT).length;
    if (storedPerReceipt.size !== warm.length + burst.length || short > 0) {
      throw new Error(`raw: ${storedPerReceipt.size} receipts stored, ${short} without exactly ${PER_INCIDENT}`);
    }
    await checkInboxes(redis, warm.length + burst.length);
    await checkRecords(kafka, namespace, checkGroup, signer, warm.length + burst.length, Math.min(120_000, left()));
    return rows;
  }

  let rows: BenchRow[] = [];
  let failed: Error | undefined;
  try {
    rows = await measure();
  } catch (error) {
    failed = error instanceof Error ? error : new Error(String(error));
  }
  ended = true;
  const problems = await cleanUp();
  if (failed !== undefined) {
    if (problems.length > 0) progress(`raw: clean-up also failed: ${problems.join('; ')}`);
    throw failed;
  }
  if (problems.length > 0) throw new Error(`raw: clean-up failed: ${problems.join('; ')}`);
  return rows;

  /** Stops everything and deletes what this run made; answers what could not be done. Never throws. */
  async function cleanUp(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, work: () => Promise<unknown>): Promise<void> => {
      try {
        await withDeadline(work(), 15_000, what);
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    await attempt('stopping the stages', () => Promise.all(stages.map((stage) => stage.stop())));
    await attempt('disconnecting the intake', () => intake?.disconnect() ?? Promise.resolve());
    await attempt('deleting the consumer groups', () =>
      admin.deleteGroups([...stages.map((stage) => stage.groupId), checkGroup]).catch((error: unknown) => {
        // The check group exists only if the checks ran.
        const groups = (error as { groups?: { groupId: string; errorCode: number }[] }).groups ?? [];
        const real = groups.filter((group) => group.errorCode !== 0 && group.groupId !== checkGroup);
        if (groups.length === 0 || real.length > 0) throw error;
      }),
    );
    await attempt('deleting the topics', () =>
      admin.deleteTopics({ topics: TOPICS.map((topic) => namespace + topic.name), timeout: 10_000 }),
    );
    await attempt('disconnecting the admin', () => admin.disconnect());
    await attempt('deleting the Redis keys', async () => {
      const keys = await scanKeys(redis, '*', { maxKeys: 1_000_000, batchSize: 1_000 });
      for (let first = 0; first < keys.length; first += 1_000) await redis.del(...keys.slice(first, first + 1_000));
      const left = await scanKeys(redis, '*', { maxKeys: 1_000 });
      if (left.length > 0) throw new Error(`${left.length} keys left under the prefix`);
    });
    await closeRedis(redis);
    return problems;
  }
}

/** Every inbox holds exactly its share of the incidents' notifications. */
async function checkInboxes(redis: RedisClient, incidents: number): Promise<void> {
  for (const [recipient, perIncident] of Object.entries(INBOXES)) {
    const count = await redis.zcard(itemsKey(recipient));
    if (count !== incidents * perIncident) {
      throw new Error(`raw: inbox ${recipient} holds ${count}, expected ${incidents * perIncident}`);
    }
  }
}

/**
 * Reads the issued and audit topics back (read_committed) and checks them: each record once (content-derived ids),
 * as many as the incidents make, and every notification's signature (the first incident's through @hub/signing,
 * the hub's own verifier, so the JWS is the same compact form).
 */
async function checkRecords(
  kafka: KafkaInstance,
  namespace: string,
  groupId: string,
  signer: Signer,
  incidents: number,
  ms: number,
): Promise<void> {
  const notifications: IssuedNotification[] = [];
  const auditIds: string[] = [];
  const issuedTopic = namespace + notificationsIssuedTopic.name;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 500 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [issuedTopic, namespace + auditEventsTopic.name], fromBeginning: true });
    await consumer.run({
      eachBatch: ({ batch }) => {
        for (const message of batch.messages) {
          const value = message.value?.toString('utf8') ?? 'null';
          if (batch.topic === issuedTopic) notifications.push(JSON.parse(value) as IssuedNotification);
          else auditIds.push((JSON.parse(value) as AuditEvent).eventId);
        }
        return Promise.resolve();
      },
    });
    const expected = { notifications: incidents * PER_INCIDENT, audit: incidents * AUDITS_PER_INCIDENT };
    await withDeadline(
      (async () => {
        while (notifications.length < expected.notifications || auditIds.length < expected.audit) await sleep(20);
      })(),
      ms,
      'raw: reading the records back',
    );
    await sleep(1_000); // a repeat after them would show
    const unique = (values: readonly string[]): number => new Set(values).size;
    const issuedIds = notifications.map((notification) => notification.notificationId);
    if (notifications.length !== expected.notifications || unique(issuedIds) !== expected.notifications) {
      throw new Error(
        `raw: ${notifications.length} issued (${unique(issuedIds)} distinct), expected ${expected.notifications}`,
      );
    }
    if (auditIds.length !== expected.audit || unique(auditIds) !== expected.audit) {
      throw new Error(
        `raw: ${auditIds.length} audit events (${unique(auditIds)} distinct), expected ${expected.audit}`,
      );
    }
    const forged = notifications.filter((notification) => !signatureHolds(notification.jws, signer.publicKey));
    if (forged.length > 0) throw new Error(`raw: ${forged.length} notifications whose signature does not verify`);
    const jwks = publicJwks.parse({
      keys: [{ ...signer.publicKey.export({ format: 'jwk' }), kid: signer.kid, alg: 'ES256', use: 'sig' }],
    });
    const first = notifications[0]!.receiptId;
    for (const notification of notifications.filter((candidate) => candidate.receiptId === first)) {
      await verify(notification.jws, jwks);
    }
  } finally {
    await consumer.disconnect();
  }
}

export async function runRawBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = rawOptions(argv);
  // The hard stop allows 100 s beyond the benchmark's own deadline for clean-up (six steps of at most 15 s).
  return withHardTimeout(options.timeoutMs + 100_000, 'raw', () => rawPipeline(options));
}

if (import.meta.main) await runStandalone(() => runRawBench(process.argv.slice(2)));
