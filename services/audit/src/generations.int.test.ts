import { setTimeout as sleep } from 'node:timers/promises';
import { auditEvent } from '@hub/audit';
import { createTestClient } from '@hub/auth/testing';
import { auditEventsTopic, contentId } from '@hub/contracts';
import type { Postgres } from '@hub/postgres';
import { VIEW_CHECK_INTERVAL_MS } from '@hub/runtime';
import { startRouteHarness, type RouteHarness } from '@hub/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditService } from './service.ts';

/*
 * The audit view's loss and rebuild on PostgreSQL (README "Generations"): a generation is a schema of its own; a
 * dropped schema, an emptied one or a lost marker is noticed (readiness names the view, its routes answer 503
 * not-ready) and a new generation is built from audit.events.v1 with the same rows.
 */

let h: RouteHarness;
const officer = createTestClient({ clientId: 'ig-officer-1', role: 'ig-officer-national', organisation: 'X26' });
const t = (minute: number) => new Date(Date.UTC(2026, 10, 22, 10, minute));
const view = () => h.deps.viewPostgres('audit');

/** Every row as a rebuild must reproduce it (leaf_index is the log's to set). */
async function dump(on: Postgres) {
  const events = await on.query(
    `SELECT kafka_partition, kafka_offset, event_id, at, action, receipt_id, nhs_number, recipient, scopes,
            inherits_areas, encode(entry, 'hex') AS entry, encode(leaf_hash, 'hex') AS leaf_hash
     FROM audit_events ORDER BY kafka_partition, kafka_offset`,
  );
  const progress = await on.query('SELECT * FROM audit_projection ORDER BY kafka_partition');
  return { events: events.rows, progress: progress.rows };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not in ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function readiness(): Promise<{ status: number; failedChecks: string[] }> {
  const response = await h.http.inject({ method: 'GET', url: '/health/ready' });
  const body = response.json<{ failedChecks?: string[] }>();
  return { status: response.statusCode, failedChecks: body.failedChecks ?? [] };
}

/** The schemas of the deployment's audit generations. */
async function generations(): Promise<string[]> {
  const { rows } = await h.deps.postgres.query<{ name: string }>(
    'SELECT nspname AS name FROM pg_namespace WHERE left(nspname, length($1)) = $1 ORDER BY nspname',
    [`${h.deps.postgres.schema}_audit_`],
  );
  return rows.map((row) => row.name);
}

let before: Awaited<ReturnType<typeof dump>>;

beforeAll(async () => {
  h = await startRouteHarness({ service: 'audit', clients: [officer], services: [createAuditService] });
  await until(() => h.runtime.views.ready('audit'), 30_000, 'the first generation');
  // Events of several records on every partition, some inheriting the areas of their record.
  const events = Array.from({ length: 60 }, (_, i) =>
    auditEvent(
      i % 4 === 0 ? 'police-gateway' : 'dispatcher',
      i % 4 === 0 ? 'incident-received' : 'notification-routed',
      t(i),
      {
        receiptId: contentId('rcpt', 'generations', String(i % 9)),
        incidentRef: `ASP:G-${i % 9}`,
        ...(i % 4 === 0 ? {} : { recipient: i % 2 === 0 ? 'gp:L81901' : 'gp:L85901', nhsNumber: '9990000018' }),
      },
    ),
  );
  await h.deps.kafka.publish(
    auditEventsTopic,
    events.map((event) => ({ key: event.receiptId ?? 'none', value: event })),
  );
  // The officer's token is issued (and audited) now, so the trail is complete before it is compared.
  await h.token(officer);
  await until(async () => (await dump(view())).events.length === events.length + 1, 30_000, 'the events stored');
  before = await dump(view());
}, 60_000);

afterAll(async () => {
  await h.close();
});

/** Loses the view with `lose`, sees it noticed and refused, and rebuilt with the same rows into a new schema. */
async function loseAndRebuild(lose: (served: string) => Promise<void>): Promise<void> {
  const served = view().schema;
  await lose(served);
  const lostAt = Date.now();
  await until(
    async () => (await readiness()).failedChecks.includes('view:audit'),
    VIEW_CHECK_INTERVAL_MS + 3_000,
    'the loss noticed',
  );
  expect(Date.now() - lostAt).toBeLessThan(VIEW_CHECK_INTERVAL_MS + 3_000);
  expect((await readiness()).status).toBe(503);

  await until(() => h.runtime.views.ready('audit'), 60_000, 'the view rebuilt');
  expect(view().schema).not.toBe(served);
  expect(await dump(view())).toEqual(before);
  expect(await readiness()).toEqual({ status: 200, failedChecks: [] });
  // The replaced generation's schema goes after the switch's grace period: one generation is left.
  await until(async () => (await generations()).length === 1, 4 * VIEW_CHECK_INTERVAL_MS + 5_000, 'one generation');
  expect(await generations()).toEqual([view().schema]);
}

describe('the audit view in PostgreSQL', () => {
  it('serves a generation of its own schema, named by its marker in the deployment schema', async () => {
    expect(view().schema).toMatch(new RegExp(`^${h.deps.postgres.schema}_audit_[0-9a-f]{12}$`));
    const { rows } = await h.deps.postgres.query('SELECT view, generation FROM hub_view_generations');
    expect(rows).toEqual([{ view: 'audit', generation: view().schema.slice(-12) }]);
    expect(before.progress.length).toBeGreaterThan(0);
  });

  it('a dropped schema is noticed, refused (503 not-ready) and rebuilt from Kafka with the same rows', async () => {
    await loseAndRebuild(async (served) => {
      await h.deps.postgres.query(`DROP SCHEMA ${served} CASCADE`);
      // At once, not at the next check: the route confirms its view on every request.
      const search = await h.inject(officer, { method: 'GET', url: '/v1/audit/events' });
      expect(search.statusCode).toBe(503);
      expect(search.json()).toMatchObject({ code: 'not-ready' });
    });
  });

  it('an emptied schema (every table truncated) is rebuilt the same', async () => {
    await loseAndRebuild(async (served) => {
      const { rows } = await h.deps.postgres.query<{ name: string }>(
        'SELECT tablename AS name FROM pg_tables WHERE schemaname = $1',
        [served],
      );
      await h.deps.postgres.query(`TRUNCATE ${rows.map(({ name }) => `${served}.${name}`).join(', ')}`);
    });
  });

  it('a lost marker (its table dropped) is rebuilt the same', async () => {
    await loseAndRebuild(async () => {
      await h.deps.postgres.query('DROP TABLE hub_view_generations');
    });
  });
});
