// The dashboard's SQL on a real PostgreSQL (an isolated schema with the audit service's own migrations), on rows
// written by hand so that every number has a known answer: days in England across the clock change, running unread
// and open counts, percentiles, distinct counting, and the area scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_MIGRATIONS } from '@hub/audit-service';
import type { Caller } from '@hub/contracts';
import { createPostgres, migrate, type Postgres } from '@hub/postgres';
import { captureLogs, isolatedPostgresSchema, testEndpoints } from '@hub/testkit';
import { readDashboard } from './dashboard.ts';

const logger = captureLogs('console-dashboard-test').logger;
let postgres: Postgres;
let offset = 0;

const SOMERSET = 'E06000066';
const BRISTOL = 'E06000023';
const national: Caller = { clientId: 'ig-hub', role: 'ig-officer-national', organisation: 'X26' };
const somerset: Caller = { clientId: 'local:ig-0001', role: 'ig-officer', organisation: SOMERSET };

interface Row {
  readonly at: string;
  readonly action: string;
  readonly receiptId?: string;
  readonly recipient?: string;
  readonly notificationId?: string;
  readonly rule?: string;
  readonly outcome?: string;
  readonly eventId?: string;
  readonly area?: string;
}

/** Rows as 11a's projector would leave them, but only the columns the dashboard reads matter. */
async function insert(rows: readonly Row[]): Promise<void> {
  for (const row of rows) {
    offset += 1;
    await postgres.query(
      `INSERT INTO audit_events (kafka_partition, kafka_offset, event_id, at, service, action, trace_id, receipt_id,
         recipient, notification_id, decision_rule, outcome, scopes, inherits_areas, entry, leaf_hash)
       VALUES (0, $1, $2, $3, 'test', $4, 't', $5, $6, $7, $8, $9, $10, false, '\\x7b7d'::bytea, $11)`,
      [
        offset,
        row.eventId ?? `aud_${offset}`,
        row.at,
        row.action,
        row.receiptId ?? null,
        row.recipient ?? null,
        row.notificationId ?? null,
        row.rule ?? null,
        row.outcome ?? null,
        [row.area ?? SOMERSET],
        Buffer.alloc(32),
      ],
    );
  }
}

/** A notification's life: signed and stored at `issued`, then fetched and acknowledged when given. */
function notification(
  id: string,
  recipient: string,
  issued: string,
  fetched?: string,
  acknowledged?: string,
  area = SOMERSET,
): Row[] {
  const stored = new Date(Date.parse(issued) + 1000).toISOString();
  return [
    { at: issued, action: 'notification-signed', notificationId: id, recipient, area },
    { at: stored, action: 'notification-stored', notificationId: id, recipient, area },
    ...(fetched === undefined
      ? []
      : [{ at: fetched, action: 'notification-fetched', notificationId: id, recipient, area }]),
    ...(acknowledged === undefined
      ? []
      : [{ at: acknowledged, action: 'notification-acknowledged', notificationId: id, recipient, area }]),
  ];
}

beforeAll(async () => {
  postgres = createPostgres({
    url: testEndpoints().postgresUrl,
    applicationName: 'console-dashboard-test',
    logger,
    schema: isolatedPostgresSchema(),
  });
  await migrate(postgres, AUDIT_MIGRATIONS, { logger });
  // 2026-10-25 is the day British Summer Time ends: 25 hours, 23:00Z the day before to 00:00Z the day after.
  await insert([
    // Saturday 24th (BST): an incident received at 23:30 London time, which is 22:30Z.
    { at: '2026-10-24T22:30:00Z', action: 'incident-received', receiptId: 'rcpt_a' },
    // Sunday 25th: 23:30Z is 23:30 GMT, still the 25th; 23:10Z on the 24th is 00:10 BST on the 25th.
    { at: '2026-10-24T23:10:00Z', action: 'incident-received', receiptId: 'rcpt_b' },
    { at: '2026-10-25T23:30:00Z', action: 'incident-received', receiptId: 'rcpt_c' },
    // The same event recorded twice (two leaves) counts once; a second receipt's decisions, shared and withheld.
    {
      at: '2026-10-25T10:00:00Z',
      action: 'decision-recorded',
      rule: 'DA-VICTIM-GP',
      outcome: 'share',
      eventId: 'aud_d1',
    },
    {
      at: '2026-10-25T10:00:00Z',
      action: 'decision-recorded',
      rule: 'DA-VICTIM-GP',
      outcome: 'share',
      eventId: 'aud_d1',
    },
    {
      at: '2026-10-25T10:00:01Z',
      action: 'decision-recorded',
      rule: 'DA-VICTIM-GP',
      outcome: 'withhold',
      eventId: 'aud_d2',
    },
    { at: '2026-10-25T10:00:02Z', action: 'decision-recorded', rule: 'DA-MARAC', outcome: 'share', eventId: 'aud_d3' },
    { at: '2026-10-26T09:00:00Z', action: 'plan-recorded', receiptId: 'cpv_a' },
    // Issued the 25th: fetched after 60 s and 180 s the same day, acknowledged the 26th after 1 day.
    ...notification('ntf_1', 'gp:L85901', '2026-10-25T12:00:00Z', '2026-10-25T12:01:00Z', '2026-10-26T12:00:00Z'),
    ...notification('ntf_2', 'marac:E06000066', '2026-10-25T12:00:00Z', '2026-10-25T12:03:00Z'),
    // Issued the 25th, never read: unread from then on. An exception acknowledged the 27th (unread counts it until read).
    ...notification('ntf_3', 'gp:L85901', '2026-10-25T13:00:00Z'),
    ...notification('ntf_4', 'exceptions:E06000066', '2026-10-25T14:00:00Z', undefined, '2026-10-27T09:00:00Z'),
    // Issued before the range and still unread: it counts on every day asked for.
    ...notification('ntf_0', 'la:E06000066', '2026-10-20T09:00:00Z'),
    // Another area's: a Somerset officer never counts it.
    ...notification('ntf_9', 'gp:L81901', '2026-10-25T12:00:00Z', undefined, undefined, BRISTOL),
  ]);
});

afterAll(async () => {
  await postgres.query(`DROP SCHEMA IF EXISTS ${postgres.schema} CASCADE`);
  await postgres.close();
});

describe('the safeguarding dashboard', () => {
  it("counts each day in England's time, across the clock change, each event once", async () => {
    const { days, timeZone } = await readDashboard(postgres, national, '2026-10-24', '2026-10-27', new Date());
    expect(timeZone).toBe('Europe/London');
    expect(days.map((day) => [day.day, day.incidents, day.plans])).toEqual([
      ['2026-10-24', 1, 0],
      ['2026-10-25', 2, 0],
      ['2026-10-26', 0, 1],
      ['2026-10-27', 0, 0],
    ]);
    expect(days[1]?.decisions).toEqual([
      { rule: 'DA-MARAC', share: 1, withhold: 0, exception: 0 },
      { rule: 'DA-VICTIM-GP', share: 1, withhold: 1, exception: 0 },
    ]);
    expect(days[1]?.notifications).toEqual({ gp: 3, marac: 1, exceptions: 1, la: 0 });
  });

  it('keeps unread and open exceptions as running counts, from before the range too', async () => {
    const { days } = await readDashboard(postgres, national, '2026-10-24', '2026-10-27', new Date());
    // 24th: ntf_0. 25th: + ntf_3, ntf_4, ntf_9 unread (ntf_1, ntf_2 read that day). 27th: ntf_4 acknowledged.
    expect(days.map((day) => day.unread)).toEqual([1, 4, 4, 3]);
    expect(days.map((day) => day.exceptionsOpen)).toEqual([0, 1, 1, 0]);
  });

  it('gives issue-to-fetch and issue-to-acknowledgement on the day they happened, p50 and p95', async () => {
    const { days } = await readDashboard(postgres, national, '2026-10-25', '2026-10-27', new Date());
    expect(days[0]?.issueToFetch.count).toBe(2);
    expect(days[0]?.issueToFetch.p50Seconds).toBeCloseTo(120, 3); // the median of 60 and 180
    expect(days[0]?.issueToFetch.p95Seconds).toBeCloseTo(174, 3); // 60 + 0.95 × 120
    expect(days[1]?.issueToAcknowledgement).toEqual({ count: 1, p50Seconds: 86_400, p95Seconds: 86_400 });
    expect(days[1]?.issueToFetch).toEqual({ count: 0, p50Seconds: null, p95Seconds: null });
  });

  it("keeps to an area officer's scope", async () => {
    const { days } = await readDashboard(postgres, somerset, '2026-10-25', '2026-10-25', new Date());
    expect(days[0]?.notifications).toEqual({ gp: 2, marac: 1, exceptions: 1, la: 0 });
    expect(days[0]?.unread).toBe(3);
  });
});
