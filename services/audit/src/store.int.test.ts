import { createHash } from 'node:crypto';
import { auditEvent } from '@hub/audit';
import { canonicalJson, contentId, type AuditEvent } from '@hub/contracts';
import { createPostgres, migrate, type Postgres } from '@hub/postgres';
import { dropTestSchemas } from '@hub/postgres/testing';
import { captureLogs, isolatedPostgresSchema, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_MIGRATIONS } from './migrations.ts';
import type { PracticeAreas } from './scope.ts';
import { createAuditStore, type AuditQuery, type AuditRecord, type AuditStore } from './store.ts';

/** The seed's practices and their local authorities (infra/seed/practices.json). */
const AREAS: Record<string, string> = { L85901: 'E06000066', L81901: 'E06000023', B82002: 'E06000066' };
const practices: PracticeAreas = {
  practice: (ods) => Promise.resolve(ods in AREAS ? { localAuthority: AREAS[ods]! } : undefined),
};
const N1 = '9990000018';
const N2 = '9990000026';
const N3 = '9990000034';
const N4 = '9990000042';
const HUB = { kind: 'hub' } as const;
const somerset = { kind: 'organisation', organisation: 'E06000066' } as const;
const bristol = { kind: 'organisation', organisation: 'E06000023' } as const;
const logs = captureLogs('audit-store-test');
const opened: { postgres: Postgres; schema: string }[] = [];

/** A store on a fresh schema with the audit migrations applied. */
async function freshStore(): Promise<{ postgres: Postgres; store: AuditStore }> {
  const schema = isolatedPostgresSchema();
  const postgres = createPostgres({
    url: testEndpoints().postgresUrl,
    applicationName: 'audit-store-test',
    logger: logs.logger,
    schema,
  });
  opened.push({ postgres, schema });
  await migrate(postgres, AUDIT_MIGRATIONS, { logger: logs.logger });
  return { postgres, store: createAuditStore(postgres, practices) };
}

let postgres: Postgres;
let store: AuditStore;
beforeAll(async () => {
  ({ postgres, store } = await freshStore());
});
afterAll(async () => {
  for (const { postgres: each, schema } of opened) {
    await each.close();
    await dropTestSchemas(testEndpoints().postgresUrl, schema);
  }
});

const t = (minute: number) => new Date(Date.UTC(2026, 10, 22, 10, minute));
/** Offsets per partition, as Kafka would give them. */
const nextOffset = new Map<number, number>();
function records(partition: number, events: readonly AuditEvent[]): AuditRecord[] {
  return events.map((event) => {
    const offset = nextOffset.get(partition) ?? 0;
    nextOffset.set(partition, offset + 1);
    return { partition, offset: String(offset), event };
  });
}
const search = (query: Partial<AuditQuery>) => store.search({ scope: HUB, order: 'oldest', limit: 200, ...query });
const ids = async (query: Partial<AuditQuery>) => (await search(query)).map((row) => row.stored?.eventId);

describe('audit store', () => {
  it('keeps each record once, as its canonical bytes and leaf hash, with its partition progress in step', async () => {
    const events = [
      auditEvent('police-gateway', 'incident-received', t(0), { receiptId: 'rcpt_a' }),
      auditEvent('identity', 'subject-matched', t(1), { receiptId: 'rcpt_a', subjectRef: 'S1', nhsNumber: N1 }),
    ];
    const batch = records(7, events);
    await store.project(batch);
    await store.project(batch); // redelivered: nothing changes
    // The same event recorded again (a new record) is a second fact: a second row, a second leaf.
    await store.project(records(7, [events[0]!]));

    const { rows } = await postgres.query<{ kafka_offset: string; event_id: string; entry: Buffer; leaf_hash: Buffer }>(
      'SELECT kafka_offset, event_id, entry, leaf_hash, leaf_index FROM audit_events WHERE kafka_partition = 7 ORDER BY kafka_offset',
    );
    expect(rows.map((row) => [row.kafka_offset, row.event_id])).toEqual([
      ['0', events[0]!.eventId],
      ['1', events[1]!.eventId],
      ['2', events[0]!.eventId],
    ]);
    const entry = Buffer.from(canonicalJson(events[1]), 'utf8');
    expect(rows[1]!.entry.equals(entry)).toBe(true);
    expect(rows[1]!.leaf_hash.equals(createHash('sha256').update(Buffer.of(0)).update(entry).digest())).toBe(true);
    expect(rows.every((row) => (row as { leaf_index?: unknown }).leaf_index === null)).toBe(true);
    const progress = await postgres.query('SELECT next_offset FROM audit_projection WHERE kafka_partition = 7');
    expect(progress.rows).toEqual([{ next_offset: '3' }]);
    // Search answers the entry's event, where it was recorded, and no leaf index yet.
    const [found] = await search({ nhsNumber: N1 });
    expect(found?.stored).toEqual({ ...events[1], position: { partition: 7, offset: 1 }, leafIndex: null });
  });

  it('finds by every filter, combined, oldest or newest first, and pages by cursor without gaps or repeats', async () => {
    const receipt = contentId('rcpt', 'search');
    const police = { clientId: 'asp-police', role: 'police', organisation: 'ASP' } as const;
    const gp = { clientId: 'gp-l85901', role: 'gp', organisation: 'L85901' } as const;
    const decision = (rule: string, outcome: 'share' | 'withhold') => ({
      rule,
      policyVersion: 'da-2026.11.1',
      outcome,
      lawfulBasis: [],
      reason: 'test',
    });
    const all = [
      auditEvent('police-gateway', 'incident-received', t(10), {
        actor: police,
        receiptId: receipt,
        incidentRef: 'ASP:INC-7',
      }),
      auditEvent('ig-engine', 'decision-recorded', t(11), {
        receiptId: receipt,
        incidentRef: 'ASP:INC-7',
        nhsNumber: N2,
        recipient: 'gp:L85901',
        decision: decision('DA-GP-VICTIM', 'share'),
      }),
      auditEvent('ig-engine', 'decision-recorded', t(11), {
        receiptId: receipt,
        incidentRef: 'ASP:INC-7',
        nhsNumber: N3,
        recipient: 'gp:B82002',
        decision: decision('DA-GP-PERPETRATOR', 'withhold'),
      }),
      auditEvent('inbox', 'notification-fetched', t(12), {
        actor: gp,
        receiptId: receipt,
        recipient: 'gp:L85901',
        notificationId: contentId('ntf', 'search'),
      }),
    ];
    // Two partitions, and two events of one moment on different partitions: the order is time, partition, offset.
    await store.project(records(1, [all[0]!, all[2]!]));
    await store.project(records(2, [all[1]!, all[3]!]));
    const inOrder = [all[0]!, all[2]!, all[1]!, all[3]!].map((event) => event.eventId); // t(11): partition 1 first
    const from = t(10);
    const to = t(12);

    expect(await ids({ from, to })).toEqual(inOrder);
    expect(await ids({ from, to, order: 'newest' })).toEqual([...inOrder].reverse());
    expect(await ids({ receiptId: receipt })).toEqual(inOrder);
    expect(await ids({ incidentRef: 'ASP:INC-7' })).toEqual(inOrder.slice(0, 3));
    expect(await ids({ nhsNumber: N2 })).toEqual([all[1]!.eventId]);
    expect(await ids({ recipient: 'gp:L85901', receiptId: receipt })).toEqual([all[1]!.eventId, all[3]!.eventId]);
    expect(await ids({ actorClientId: 'gp-l85901' })).toEqual([all[3]!.eventId]);
    expect(await ids({ actorOrganisation: 'ASP', from, to })).toEqual([all[0]!.eventId]);
    expect(await ids({ action: 'decision-recorded', from, to })).toEqual([all[2]!.eventId, all[1]!.eventId]);
    expect(await ids({ rule: 'DA-GP-VICTIM' })).toEqual([all[1]!.eventId]);
    expect(await ids({ outcome: 'withhold', receiptId: receipt })).toEqual([all[2]!.eventId]);
    expect(await ids({ outcome: 'withhold', rule: 'DA-GP-VICTIM' })).toEqual([]);
    expect(await ids({ receiptId: receipt, from: t(11), to: t(11) })).toEqual(inOrder.slice(1, 3));

    for (const order of ['oldest', 'newest'] as const) {
      const expected = order === 'oldest' ? inOrder : [...inOrder].reverse();
      for (const limit of [1, 2, 3]) {
        const pages: (string | undefined)[][] = [];
        let after: AuditQuery['after'];
        for (;;) {
          const rows = await search({ receiptId: receipt, order, after, limit });
          if (rows.length === 0) break;
          pages.push(rows.map((row) => row.stored?.eventId));
          after = rows.at(-1)!.position;
        }
        expect(pages.flat(), `${order} ${limit}`).toEqual(expected);
        expect(pages.length).toBe(Math.ceil(expected.length / limit));
      }
    }
  });

  it("places each event under its areas; a record's area-less events take every area it reaches, in any order", async () => {
    const police = { clientId: 'asp-police', role: 'police', organisation: 'ASP' } as const;
    const scenario = (name: string) => {
      const receipt = contentId('rcpt', 'placement', name);
      return {
        // The force's intake names no area; the routing that follows names a Bristol practice.
        intake: auditEvent('police-gateway', 'incident-received', t(40), {
          actor: police,
          receiptId: receipt,
          incidentRef: `ASP:${name}`,
        }),
        routed: auditEvent('dispatcher', 'notification-routed', t(41), {
          receiptId: receipt,
          incidentRef: `ASP:${name}`,
          recipient: 'gp:L81901',
        }),
        matched: auditEvent('identity', 'subject-matched', t(42), { receiptId: receipt, subjectRef: 'S1' }),
        // A Somerset officer's search for the Bristol receipt concerns the searcher only.
        searched: auditEvent('audit', 'audit-searched', t(43), {
          actor: { clientId: 'somerset-ig', role: 'ig-officer', organisation: 'E06000066' },
          receiptId: receipt,
          recipient: 'gp:L81901',
        }),
      };
    };
    // In order on one partition; the area-giving event first; and two partitions at once (concurrent batches).
    const inOrder = scenario('in-order');
    await store.project(records(3, [inOrder.intake, inOrder.routed, inOrder.matched, inOrder.searched]));
    const reversed = scenario('reversed');
    await store.project(records(3, [reversed.routed]));
    await store.project(records(3, [reversed.searched, reversed.matched, reversed.intake]));
    const racing = scenario('racing');
    await Promise.all([
      store.project(records(4, [racing.intake, racing.matched])),
      store.project(records(5, [racing.routed, racing.searched])),
    ]);

    for (const { intake, routed, matched, searched } of [inOrder, reversed, racing]) {
      const receiptId = intake.receiptId!;
      const bristolIds = [intake, routed, matched].map((event) => event.eventId);
      expect(await ids({ receiptId, scope: bristol })).toEqual(bristolIds);
      expect(await ids({ receiptId, scope: somerset })).toEqual([searched.eventId]);
      expect(await ids({ receiptId, scope: { kind: 'organisation', organisation: 'ASP' } })).toEqual(
        bristolIds.slice(0, 2),
      );
      expect(await ids({ receiptId })).toHaveLength(4);
    }
  });

  it('reports an entry it cannot trust by where it was recorded, and answers the rest', async () => {
    const receipt = contentId('rcpt', 'tampered');
    const events = Array.from({ length: 4 }, (_, i) =>
      auditEvent('inbox', 'notification-fetched', t(50 + i), {
        receiptId: receipt,
        recipient: 'gp:L85901',
        notificationId: contentId('ntf', 'tampered', String(i)),
      }),
    );
    await store.project(records(6, events));
    const offsetOf = (i: number) => nextOffset.get(6)! - 4 + i;
    // An edited entry (its leaf hash no longer matches); an entry cut short, hash recomputed; and a column edited
    // to pull an unrelated event into a search for another NHS number.
    const edited = Buffer.from(canonicalJson({ ...events[1], recipient: 'gp:L81901' }), 'utf8');
    await postgres.query('UPDATE audit_events SET entry = $1 WHERE kafka_partition = 6 AND kafka_offset = $2', [
      edited,
      offsetOf(1),
    ]);
    const cut = Buffer.from('{"eventId":"aud_', 'utf8');
    await postgres.query(
      `UPDATE audit_events SET entry = $1, leaf_hash = sha256('\\x00'::bytea || $1) WHERE kafka_partition = 6 AND kafka_offset = $2`,
      [cut, offsetOf(2)],
    );
    await postgres.query('UPDATE audit_events SET nhs_number = $1 WHERE kafka_partition = 6 AND kafka_offset = $2', [
      N4,
      offsetOf(3),
    ]);

    const rows = await search({ receiptId: receipt });
    expect(rows.map((row) => row.stored?.eventId)).toEqual([
      events[0]!.eventId,
      undefined,
      undefined,
      events[3]!.eventId,
    ]);
    expect(rows.filter((row) => row.stored === undefined).map((row) => row.position)).toEqual([
      { time: t(51).getTime(), partition: 6, offset: offsetOf(1) },
      { time: t(52).getTime(), partition: 6, offset: offsetOf(2) },
    ]);
    const byColumn = await search({ nhsNumber: N4 });
    expect(byColumn.map((row) => [row.stored, row.position.offset])).toEqual([[undefined, offsetOf(3)]]);
  });

  it('a rebuild from the same records, batched and interleaved otherwise, writes the same rows', async () => {
    const { postgres: second, store: rebuilt } = await freshStore();
    const { store: first } = await freshStore();
    const scenario = Array.from({ length: 30 }, (_, i) =>
      auditEvent(
        i % 3 === 0 ? 'police-gateway' : 'dispatcher',
        i % 3 === 0 ? 'incident-received' : 'notification-routed',
        t(i),
        {
          receiptId: contentId('rcpt', 'rebuild', String(i % 7)),
          incidentRef: `ASP:R-${i % 7}`,
          ...(i % 3 === 0 ? {} : { recipient: i % 2 === 0 ? 'gp:L81901' : 'gp:L85901', nhsNumber: N1 }),
        },
      ),
    );
    const byPartition = [0, 1, 2].map((partition) =>
      scenario
        .filter((_, i) => i % 3 === partition)
        .map((event, offset) => ({ partition, offset: String(offset), event })),
    );
    // Live: one record at a time, partition after partition. Rebuild: whole partitions at once, in reverse.
    for (const partition of byPartition) for (const record of partition) await first.project([record]);
    await Promise.all([...byPartition].reverse().map((partition) => rebuilt.project(partition)));

    const dump = async (on: Postgres) =>
      (
        await on.query(
          `SELECT kafka_partition, kafka_offset, event_id, at, action, receipt_id, nhs_number, recipient, scopes,
                  inherits_areas, encode(entry, 'hex') AS entry, encode(leaf_hash, 'hex') AS leaf_hash
           FROM audit_events ORDER BY kafka_partition, kafka_offset`,
        )
      ).rows;
    const live = await dump(opened.at(-1)!.postgres);
    expect(live).toHaveLength(30);
    expect(await dump(second)).toEqual(live);
    expect((await second.query('SELECT * FROM audit_projection ORDER BY kafka_partition')).rows).toEqual([
      { kafka_partition: 0, next_offset: '10' },
      { kafka_partition: 1, next_offset: '10' },
      { kafka_partition: 2, next_offset: '10' },
    ]);
  });
});
