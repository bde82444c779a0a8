import type { Migration } from '@hub/postgres';
import { AUDIT_LOG_MIGRATIONS } from './log/migrations.ts';
import { AUDIT_VERIFICATION_MIGRATIONS } from './verification/store.ts';

/**
 * The audit service's PostgreSQL schema, one ordered list (applied by the runtime to each generation's schema of the
 * `audit` view: `<POSTGRES_SCHEMA>_audit_<generation>`). Versions 1-9: the store (11a); 10-19: the verifiable log
 * (services/audit/src/log); 20-29: the console. Never edit a migration once committed (its checksum is recorded):
 * add one.
 */
export const AUDIT_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create_audit_events',
    // One row per record of audit.events.v1 (PRIMARY KEY: where Kafka keeps it). event_id is not unique: the same
    // content id recorded twice is two facts, two leaves. `entry` is the leaf entry (canonical JSON, UTF-8) and the
    // only source of what search answers; the columns beside it exist to find it. `leaf_hash` is kept so proofs stay
    // valid if `entry` is ever deleted under retention. `leaf_index` is set only by the log's applier.
    sql: `
CREATE TABLE audit_events (
  kafka_partition integer NOT NULL CHECK (kafka_partition >= 0),
  kafka_offset bigint NOT NULL CHECK (kafka_offset >= 0),
  event_id text NOT NULL,
  at timestamptz NOT NULL,
  service text NOT NULL,
  action text NOT NULL,
  trace_id text NOT NULL,
  receipt_id text,
  incident_ref text,
  subject_ref text,
  nhs_number text,
  recipient text,
  notification_id text,
  actor_client_id text,
  actor_role text,
  actor_organisation text,
  decision_rule text,
  policy_version text,
  outcome text,
  reason text,
  scopes text[] NOT NULL,
  inherits_areas boolean NOT NULL,
  entry bytea NOT NULL,
  leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
  leaf_index bigint UNIQUE CHECK (leaf_index >= 0),
  PRIMARY KEY (kafka_partition, kafka_offset)
);
CREATE TABLE audit_projection (
  kafka_partition integer PRIMARY KEY CHECK (kafka_partition >= 0),
  next_offset bigint NOT NULL CHECK (next_offset >= 0)
);
CREATE TABLE audit_record_areas (
  record_id text NOT NULL,
  area text NOT NULL,
  PRIMARY KEY (record_id, area)
);`,
  },
  {
    version: 2,
    name: 'index_audit_search',
    // Each filter's index ends with the order of every search (at, kafka_partition, kafka_offset), so a filter and
    // its page are one ordered index range, read forwards (oldest first) or backwards (newest first). The scope is
    // an array: GIN, combined by the planner with the others (scope.ts). event_id: the log's proofs by event id.
    sql: `
CREATE INDEX audit_events_at ON audit_events (at, kafka_partition, kafka_offset);
CREATE INDEX audit_events_nhs_number ON audit_events (nhs_number, at, kafka_partition, kafka_offset)
  WHERE nhs_number IS NOT NULL;
CREATE INDEX audit_events_receipt_id ON audit_events (receipt_id, at, kafka_partition, kafka_offset)
  WHERE receipt_id IS NOT NULL;
CREATE INDEX audit_events_incident_ref ON audit_events (incident_ref, at, kafka_partition, kafka_offset)
  WHERE incident_ref IS NOT NULL;
CREATE INDEX audit_events_recipient ON audit_events (recipient, at, kafka_partition, kafka_offset)
  WHERE recipient IS NOT NULL;
CREATE INDEX audit_events_actor_client_id ON audit_events (actor_client_id, at, kafka_partition, kafka_offset)
  WHERE actor_client_id IS NOT NULL;
CREATE INDEX audit_events_actor_organisation ON audit_events (actor_organisation, at, kafka_partition, kafka_offset)
  WHERE actor_organisation IS NOT NULL;
CREATE INDEX audit_events_action ON audit_events (action, at, kafka_partition, kafka_offset);
CREATE INDEX audit_events_decision_rule ON audit_events (decision_rule, at, kafka_partition, kafka_offset)
  WHERE decision_rule IS NOT NULL;
CREATE INDEX audit_events_outcome ON audit_events (outcome, at, kafka_partition, kafka_offset)
  WHERE outcome IS NOT NULL;
CREATE INDEX audit_events_scopes ON audit_events USING gin (scopes);
CREATE INDEX audit_events_event_id ON audit_events (event_id);`,
  },
];

/**
 * Every migration of the audit service, in order: the store's (1-9), the log's (10-19, src/log), the periodic
 * verification's (30-39, src/verification).
 */
export const AUDIT_MIGRATIONS: readonly Migration[] = [
  ...AUDIT_STORE_MIGRATIONS,
  ...AUDIT_LOG_MIGRATIONS,
  ...AUDIT_VERIFICATION_MIGRATIONS,
];
