// This package's integration tests only: real Kafka (an isolated topic namespace), real Redis (an isolated key
// prefix), the committed seed directory, and readers that collect every record this package publishes.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  auditEventsTopic,
  cpFlagAccessedTopic,
  cpPlanRecordedTopic,
  cpPlanRefusedTopic,
  fgmIndicatorRecordedTopic,
  type AuditEvent,
  type Caller,
  type CpFlagAccessed,
  type CpPlanRecorded,
  type CpPlanRefused,
  type CpPlanSubmission,
  type FgmIndicatorRecorded,
  type MessageOf,
  type TopicSpec,
} from '@hub/contracts';
import { SEED_FILES, loadFileDirectory, type FileDirectory } from '@hub/directory';
import { createKafkaClient, type KafkaClient } from '@hub/kafka';
import { defaultChildProtectionPolicy, type ChildProtectionPolicy } from '@hub/policy';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import {
  captureLogs,
  isolatedRedisPrefix,
  isolatedTopicNamespace,
  testEndpoints,
  uniqueId,
  type CapturedLogs,
} from '@hub/testkit';

export const CP_TOPICS: readonly TopicSpec[] = [
  cpPlanRecordedTopic,
  cpPlanRefusedTopic,
  cpFlagAccessedTopic,
  fgmIndicatorRecordedTopic,
  auditEventsTopic,
];

/** Seed people (infra/seed/README.md). Ages are as of the test clock, 2026-11-23. */
export const SEED = {
  /** Child, L85901, Somerset. */
  mia: '9991001034',
  /** Child, L85902. */
  leo: '9991001042',
  /** Child, L85902, born 2010-08-08. */
  lily: '9991003053',
  /** Child, L85904. */
  sophie: '9991003096',
  /** Child, L85904. */
  noah: '9991004017',
  /** Child, L85901. */
  alfie: '9991003037',
  /** Child, L81901 (Bristol). */
  ava: '9992001097',
  /** Child, L81901. */
  isla: '9992002018',
  /** Child, L81902. */
  yusuf: '9992002069',
  /** 18 since 2026-05-17 (L81902). */
  isaac: '9992003022',
  /** Child, L81902. */
  evie: '9992003030',
  /** Child whose registration ended 2026-03-31 (no practice today). */
  poppy: '9991002073',
  /** Child, restricted record. */
  rosie: '9991002081',
  /** Adult mother, L85902. */
  chloe: '9991002065',
  /** Adult, L85901. */
  sarah: '9991001018',
  /** Inactive (deceased). */
  margaret: '9991002057',
  /** Valid check digit, not in the directory. */
  unknown: '9999000010',
} as const;

/** Every name and birth date of the seed people above: none may reach a log line. */
export const SEED_PERSONAL_DATA = [
  'Whitlock',
  'Marsh',
  'Bartlett',
  'Kingdon',
  'Turner',
  'Rahman',
  'Brooks',
  'Lane',
  'Hale',
  'Parsons',
  'Ellis',
  '2016-06-03',
  '2010-08-08',
  '1991-04-12',
] as const;

export const SOMERSET = 'E06000066';
export const BRISTOL = 'E06000023';

export function laCaller(organisation: string = SOMERSET): Caller {
  return { clientId: `la-${organisation.toLowerCase()}`, role: 'local-authority', organisation };
}

export function gpCaller(organisation: string): Caller {
  return { clientId: `gp-${organisation.toLowerCase()}`, role: 'gp', organisation };
}

export function edCaller(organisation = 'RBA11'): Caller {
  return { clientId: `ed-${organisation.toLowerCase()}`, role: 'unscheduled-care', organisation };
}

export function samplePlan(overrides: Partial<CpPlanSubmission> = {}): CpPlanSubmission {
  return {
    type: 'child-protection-plan',
    nhsNumber: SEED.mia,
    startDate: '2026-09-01',
    contact: {
      team: 'Taunton Children and Families',
      officeHoursPhone: '01632 960100',
      outOfHoursPhone: '01632 960199',
    },
    ...overrides,
  };
}

/** One record as read back from its topic. */
export interface Keyed<V> {
  readonly key: string | null;
  readonly value: V;
}

export interface Published {
  readonly recorded: Keyed<CpPlanRecorded>[];
  readonly refused: Keyed<CpPlanRefused>[];
  readonly accessed: Keyed<CpFlagAccessed>[];
  readonly fgm: Keyed<FgmIndicatorRecorded>[];
  readonly audit: Keyed<AuditEvent>[];
}

export interface Harness {
  readonly kafka: KafkaClient;
  readonly redis: RedisClient;
  readonly directory: FileDirectory;
  readonly policy: ChildProtectionPolicy;
  readonly logs: CapturedLogs;
  /** The clock every intake and look-up of the test gets (`now: () => clock.now`). */
  readonly clock: { now: Date };
  readonly published: Published;
  /** What an intake or look-up needs: this harness's Kafka, directory, policy and clock, a fresh transactional id. */
  intakeDeps(label: string, redis?: RedisClient): IntakeDeps;
  /** A real Kafka client, already closed: every publish fails, as when the brokers are gone. */
  closedKafka(): Promise<KafkaClient>;
  close(): Promise<void>;
}

export interface IntakeDeps {
  readonly kafka: KafkaClient;
  readonly redis: RedisClient;
  readonly directory: FileDirectory;
  readonly policy: ChildProtectionPolicy;
  readonly now: () => Date;
  readonly transactionalId: string;
}

/** 2026-11-23 10:00 UTC (10:00 in England). */
export const TEST_NOW = new Date('2026-11-23T10:00:00.000Z');

export async function startHarness(label: string): Promise<Harness> {
  const endpoints = testEndpoints();
  const logs = captureLogs('child-protection');
  const kafka = createKafkaClient({
    brokers: endpoints.kafkaBrokers,
    clientId: `cp-${label}-test`,
    topicNamespace: isolatedTopicNamespace(),
    logger: logs.logger,
  });
  await kafka.provisionTopics(CP_TOPICS);
  const redis = createRedis({
    url: endpoints.redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: `cp-${label}-test`,
    logger: logs.logger,
  });
  const directory = await loadFileDirectory({ files: SEED_FILES, logger: logs.logger });
  const published: Published = { recorded: [], refused: [], accessed: [], fgm: [], audit: [] };
  const read = <T extends TopicSpec>(topic: T, into: Keyed<MessageOf<T>>[]) =>
    kafka.consume(topic, {
      groupId: uniqueId(`${label}-reader`),
      maxWaitTimeMs: 100,
      handle: (message) => {
        into.push({ key: message.key, value: message.value });
        return Promise.resolve();
      },
    });
  await Promise.all([
    read(cpPlanRecordedTopic, published.recorded),
    read(cpPlanRefusedTopic, published.refused),
    read(cpFlagAccessedTopic, published.accessed),
    read(fgmIndicatorRecordedTopic, published.fgm),
    read(auditEventsTopic, published.audit),
  ]);
  const policy = defaultChildProtectionPolicy();
  const clock = { now: TEST_NOW };
  return {
    kafka,
    redis,
    directory,
    policy,
    logs,
    clock,
    published,
    intakeDeps: (intakeLabel, own = redis) => ({
      kafka,
      redis: own,
      directory,
      policy,
      now: () => clock.now,
      transactionalId: uniqueId(intakeLabel),
    }),
    async closedKafka() {
      const closed = createKafkaClient({
        brokers: endpoints.kafkaBrokers,
        clientId: `cp-${label}-closed`,
        topicNamespace: isolatedTopicNamespace(),
        logger: logs.logger,
      });
      await closed.close();
      return closed;
    },
    async close() {
      await kafka.close();
      await closeRedis(redis);
    },
  };
}

/** Waits until `count()` reaches `expected`, then a little longer, so a stray extra record would be seen. */
export async function settle(count: () => number, expected: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count() < expected && Date.now() < deadline) await sleep(25);
  await sleep(400);
}
