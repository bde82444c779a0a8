/*
 * What was issued, read from the record itself (`notifications.issued.v1` on Kafka, under a consumer group of the
 * test's own), so what a reader or an inbox shows is checked against something no Redis loss can touch.
 */
import { notificationsIssuedTopic, type IssuedNotification } from '@hub/contracts';
import { createKafkaClient, type KafkaClient, type Subscription } from '@hub/kafka';
import { captureLogs, testEndpoints, uniqueId } from '@hub/testkit';

export interface IssuedRecord {
  /** Each notification once (a record read twice is the same notification), in the order first read. */
  readonly notifications: ReadonlyMap<string, IssuedNotification>;
  /** The ids issued to `recipient`. */
  idsFor(recipient: string): string[];
  stop(): Promise<void>;
}

export async function readIssued(namespace: string): Promise<IssuedRecord> {
  const kafka: KafkaClient = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'test-issued-record',
    logger: captureLogs().logger,
    topicNamespace: namespace,
  });
  const notifications = new Map<string, IssuedNotification>();
  let subscription: Subscription;
  try {
    subscription = await kafka.consume(notificationsIssuedTopic, {
      groupId: uniqueId('test-issued-record'),
      handle: (message) => {
        if (!notifications.has(message.value.notificationId)) {
          notifications.set(message.value.notificationId, message.value);
        }
        return Promise.resolve();
      },
    });
  } catch (error) {
    await kafka.close();
    throw error;
  }
  return {
    notifications,
    idsFor: (recipient) =>
      [...notifications.values()].filter((issued) => issued.recipient === recipient).map((n) => n.notificationId),
    async stop() {
      await subscription.stop();
      await kafka.close();
    },
  };
}
