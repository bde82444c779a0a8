/*
 * Tests only: the part of the audit store the log reads (`audit_events`, `audit_projection`) and a projector filling
 * it from audit.events.v1, so the log's tests stand on their own. The store's own tables have more columns.
 */
import { auditEventsTopic, canonicalJson, type AuditEvent } from '@hub/contracts';
import { uniqueId } from '@hub/testkit';
import type { KafkaClient, Subscription } from '@hub/kafka';
import type { Migration, Postgres } from '@hub/postgres';
import { leafHash } from '@hub/tlog';

export const EVENTS_FIXTURE: Migration = {
  version: 1,
  name: 'events_fixture',
  sql: `
    CREATE TABLE audit_events (
      kafka_partition integer NOT NULL, kafka_offset bigint NOT NULL, event_id text NOT NULL,
      entry bytea NOT NULL, leaf_hash bytea NOT NULL, leaf_index bigint UNIQUE,
      PRIMARY KEY (kafka_partition, kafka_offset));
    CREATE TABLE audit_projection (kafka_partition integer PRIMARY KEY, next_offset bigint NOT NULL);`,
};

/** Each event's row and its partition's progress in one transaction, as the store's projector does. */
export function projectEvents(
  kafka: KafkaClient,
  postgres: Postgres,
  alter: (event: AuditEvent) => AuditEvent = (event) => event,
): Promise<Subscription> {
  return kafka.consume(auditEventsTopic, {
    groupId: uniqueId('events-fixture'),
    maxWaitTimeMs: 100,
    handle: (message) =>
      postgres.transaction(async (tx) => {
        const entry = Buffer.from(canonicalJson(alter(message.value)), 'utf8');
        await tx.query(
          `INSERT INTO audit_events (kafka_partition, kafka_offset, event_id, entry, leaf_hash)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [message.partition, message.offset, message.value.eventId, entry, leafHash(entry)],
        );
        await tx.query(
          `INSERT INTO audit_projection (kafka_partition, next_offset) VALUES ($1, $2)
           ON CONFLICT (kafka_partition) DO UPDATE SET next_offset = GREATEST(audit_projection.next_offset, $2)`,
          [message.partition, Number(message.offset) + 1],
        );
      }),
  });
}
