/*
 * What the deadline stage wrote, read from the record itself: every committed record of `notifications.issued.v1`
 * and `audit.events.v1` under a consumer group of the test's own, NOT deduplicated, so a deadline that fired twice
 * shows as two records even though the inbox and the audit store would keep one.
 */
import {
  auditEventsTopic,
  deadlinesDueTopic,
  notificationsIssuedTopic,
  type AuditEvent,
  type DeadlineNoticePayload,
  type DeadlineTick,
  type IssuedNotification,
} from '@hub/contracts';
import { createKafkaClient, type KafkaClient } from '@hub/kafka';
import { verify, type PublicJwks } from '@hub/signing';
import { captureLogs, testEndpoints, uniqueId } from '@hub/testkit';

export interface DeadlineRecord {
  /** Every issued record of a deadline notice kind, in arrival order (repeats kept). */
  readonly notices: readonly IssuedNotification[];
  /** Every audit event of the deadline stage (service `deadlines`), in arrival order (repeats kept). */
  readonly decisions: readonly AuditEvent[];
  /** Every tick the clocks published (`deadlines.due.v1`). */
  readonly ticks: readonly DeadlineTick[];
  /** How many records of `kind` concern each notification (by its id and deadline): one each when fired once. */
  noticeCounts(jwks: PublicJwks, kind: DeadlineNoticePayload['kind']): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

const NOTICE_KINDS = new Set(['delivery-escalation', 'escalation-closed', 'non-delivery-report']);

export async function readDeadlineRecord(namespace: string): Promise<DeadlineRecord> {
  const kafka: KafkaClient = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'test-deadline-record',
    logger: captureLogs().logger,
    topicNamespace: namespace,
  });
  const notices: IssuedNotification[] = [];
  const decisions: AuditEvent[] = [];
  const ticks: DeadlineTick[] = [];
  const subscriptions = await Promise.all([
    kafka.consume(notificationsIssuedTopic, {
      groupId: uniqueId('test-deadline-notices'),
      handle: (message) => {
        if (NOTICE_KINDS.has(message.value.kind)) notices.push(message.value);
        return Promise.resolve();
      },
    }),
    kafka.consume(auditEventsTopic, {
      groupId: uniqueId('test-deadline-decisions'),
      handle: (message) => {
        if (message.value.service === 'deadlines' && message.value.decision !== null) decisions.push(message.value);
        return Promise.resolve();
      },
    }),
    kafka.consume(deadlinesDueTopic, {
      groupId: uniqueId('test-deadline-ticks'),
      handle: (message) => {
        ticks.push(message.value);
        return Promise.resolve();
      },
    }),
  ]);
  return {
    notices,
    decisions,
    ticks,
    async noticeCounts(jwks, kind) {
      const counts = new Map<string, number>();
      for (const notice of notices.filter((record) => record.kind === kind)) {
        const payload = (await verify(notice.jws, jwks)).payload as DeadlineNoticePayload;
        const concerns = payload.concerns.notificationId;
        const key = 'deadline' in payload ? `${concerns}|${payload.deadline}` : concerns;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    },
    async stop() {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      await kafka.close();
    },
  };
}
