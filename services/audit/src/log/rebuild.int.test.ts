import { setTimeout as sleep } from 'node:timers/promises';
import { auditEvent } from '@hub/audit';
import { createTestClient } from '@hub/auth/testing';
import { auditEventsTopic, contentId } from '@hub/contracts';
import type { Postgres } from '@hub/postgres';
import { startRouteHarness, type RouteHarness } from '@hub/runtime/testing';
import { noteVerifier, openCheckpoint } from '@hub/tlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditService } from '../service.ts';
import { createAuditLog } from './index.ts';

/*
 * The log rebuilt by the runtime's own machinery (the audit view's generations on PostgreSQL): the served schema is
 * dropped, a new generation is built from the topics alone, and the log in it is the same tree: every event at its
 * leaf index, the same root, every checkpoint stored again and matching it, the same checkpoint served.
 */

const ORIGIN = 'hub.test/audit-rebuild';
let h: RouteHarness;
let started = false;
let vkey: string;
const officer = createTestClient({ clientId: 'ig-rebuild', role: 'ig-officer-national', organisation: 'X26' });
const view = (): Postgres => h.deps.viewPostgres('audit');

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not in ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The log as a rebuild must reproduce it. */
async function logOf(on: Postgres) {
  const leaves = await on.query(
    'SELECT kafka_partition, kafka_offset, leaf_index FROM audit_events ORDER BY kafka_partition, kafka_offset',
  );
  const state = await on.query("SELECT size, encode(root, 'hex') AS root, up_to FROM audit_log_state");
  const checkpoints = await on.query(
    `SELECT size, encode(root, 'hex') AS root, note, cosigned_note, tree_root_matches
       FROM audit_log_checkpoints ORDER BY size`,
  );
  return { leaves: leaves.rows, state: state.rows, checkpoints: checkpoints.rows };
}

const checkpointNote = async () => (await h.inject(officer, { method: 'GET', url: '/v1/audit/log/checkpoint' })).body;

let before: Awaited<ReturnType<typeof logOf>>;

beforeAll(async () => {
  h = await startRouteHarness({
    service: 'audit',
    clients: [officer],
    services: [createAuditService],
    env: { AUDIT_LOG_ORIGIN: ORIGIN },
  });
  started = true;
  vkey = createAuditLog(h.deps).vkey;
  await until(() => h.runtime.views.ready('audit'), 30_000, 'the first generation');
  // The officer's token first (its issue is audited: a leaf too), then the events.
  await h.token(officer);
  const events = Array.from({ length: 80 }, (_, i) =>
    auditEvent('dispatcher', 'notification-routed', new Date(Date.UTC(2026, 11, 1, 9, i)), {
      receiptId: contentId('rcpt', 'log-rebuild', String(i % 7)),
      recipient: 'gp:L85901',
    }),
  );
  await h.deps.kafka.publish(
    auditEventsTopic,
    events.map((event) => ({ key: event.receiptId ?? 'none', value: event })),
  );
  // Every stored event sequenced and the whole tree signed.
  await until(
    async () => {
      const now = await logOf(view());
      const size = Number((now.state[0] as { size: string } | undefined)?.size ?? 0);
      const last = now.checkpoints.at(-1) as { size: string } | undefined;
      return size >= events.length && now.leaves.length === size && Number(last?.size) === size;
    },
    60_000,
    'the events sequenced and signed',
  );
  before = await logOf(view());
}, 120_000);

afterAll(async () => {
  // Only if beforeAll got to start it (a shared broker's hiccup can fail the harness's start).
  if (started) await h.close();
});

describe('the log in a rebuilt generation', () => {
  it('is the same tree, with every checkpoint stored again and matching it', async () => {
    const served = view().schema;
    const note = await checkpointNote();
    await h.deps.postgres.query(`DROP SCHEMA ${served} CASCADE`);
    await until(() => !h.runtime.views.ready('audit'), 30_000, 'the loss noticed');
    await until(() => h.runtime.views.ready('audit'), 90_000, 'the view rebuilt');
    expect(view().schema).not.toBe(served);
    // The checkpoints are stored as their projector reaches them: wait for the last.
    await until(
      async () => (await logOf(view())).checkpoints.length === before.checkpoints.length,
      30_000,
      'every checkpoint stored again',
    );
    const after = await logOf(view());
    expect(after.leaves).toEqual(before.leaves);
    expect(after.state).toEqual(before.state);
    expect(after.checkpoints).toEqual(before.checkpoints);
    expect(before.checkpoints.every((row) => (row as { tree_root_matches: boolean }).tree_root_matches)).toBe(true);
    expect(h.logs.lines().some((line) => line['msg'] === 'audit log checkpoint does not match the tree')).toBe(false);
    // The same checkpoint served, verifying with the log key.
    expect(await checkpointNote()).toBe(note);
    expect(openCheckpoint(note, ORIGIN, [noteVerifier(vkey)]).checkpoint.size).toBe(before.leaves.length);
  });
});
