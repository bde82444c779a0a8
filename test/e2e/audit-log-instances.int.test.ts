/*
 * The verifiable log on two hub processes of one deployment (issue 11 item 2): the audit events of traffic sent to
 * both get one leaf each, with consecutive indexes, whoever leads; then the leader (the process holding the
 * PostgreSQL advisory lock) is SIGKILLed mid-traffic, the other takes the lock over, and indexing continues with no
 * gap and no double. The leader is found from PostgreSQL (the lock's backend) and the process's own sockets.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgres, type Postgres } from '@hub/postgres';
import { captureLogs, testEndpoints } from '@hub/testkit';
import { parseCheckpoint, parseNote } from '@hub/tlog';
import { createHubProcess, FLOW_CLIENTS, type HubProcess } from './hub-process.ts';
import { whitlockIncident } from './whitlock.ts';

const logs = captureLogs('audit-log-instances');
const endpoints = testEndpoints();
let first: HubProcess;
let second: HubProcess;
let observer: Postgres;

beforeAll(async () => {
  first = await createHubProcess({
    ...endpoints,
    clients: { ...FLOW_CLIENTS, igOfficer: { role: 'ig-officer-national', organisation: 'X26' } },
  });
  await first.start(120_000);
  second = await createHubProcess({ ...endpoints, joining: first, env: { KAFKA_INSTANCE_NAME: 'hub-2' } });
  await second.start(120_000);
  observer = createPostgres({
    url: endpoints.postgresUrl,
    applicationName: 'audit-log-instances',
    logger: logs.logger,
  });
}, 300_000);

afterAll(async () => {
  // Only what beforeAll got to start (a start can fail on a shared broker's hiccup).
  await (observer as Postgres | undefined)?.close();
  await (second as HubProcess | undefined)?.stop();
  await (first as HubProcess | undefined)?.stop();
}, 60_000);

/** The schema of the audit view's generation being served (`<deployment schema>_audit_<generation>`). */
async function auditSchema(): Promise<string> {
  const { rows } = await observer.query<{ schema: string }>(
    `SELECT table_schema AS schema FROM information_schema.tables
      WHERE table_name = 'audit_log_state' AND starts_with(table_schema, $1)`,
    [first.deployment.postgresSchema],
  );
  if (rows.length !== 1) throw new Error(`expected one audit log schema, found ${rows.length}`);
  return rows[0]!.schema;
}

interface Indexes {
  readonly events: number;
  readonly indexed: number;
  readonly distinct: number;
  readonly max: number;
}

async function indexes(): Promise<Indexes> {
  const { rows } = await observer.query<{ events: string; indexed: string; distinct: string; max: string | null }>(
    `SELECT count(*) AS events, count(leaf_index) AS indexed, count(DISTINCT leaf_index) AS distinct,
            max(leaf_index) AS max FROM ${await auditSchema()}.audit_events`,
  );
  const row = rows[0]!;
  return {
    events: Number(row.events),
    indexed: Number(row.indexed),
    distinct: Number(row.distinct),
    max: Number(row.max ?? -1),
  };
}

/** Waits until the trail stops growing for a moment and every stored event has its leaf. */
async function settled(atLeast: number): Promise<Indexes> {
  let previous = -1;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const now = await indexes();
    if (now.events >= atLeast && now.indexed === now.events && now.events === previous) return now;
    previous = now.events;
    await sleep(1_000);
  }
  throw new Error(`the log did not settle: ${JSON.stringify(await indexes())}`);
}

/** The process (of the two) that owns the backend holding the sequencer's lock: by its TCP socket's port. */
async function leader(): Promise<HubProcess> {
  const lock = `hub.audit.sequencer:${first.deployment.postgresSchema}`;
  const { rows } = await observer.query<{ port: number }>(
    `SELECT a.client_port AS port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.objid = (hashtext($1)::bigint & 4294967295)::oid`,
    [lock],
  );
  const port = rows[0]?.port;
  if (port === undefined) throw new Error('nobody holds the sequencer lock');
  const owner = [first, second].find((hub) => hub.pid !== undefined && socketPorts(hub.pid).has(port));
  if (owner === undefined) throw new Error('the lock is held by neither process');
  return owner;
}

/** The local TCP ports of a process's sockets (Linux: its fds' socket inodes, looked up in /proc/net/tcp{,6}). */
function socketPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    })();
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1] !== undefined) inodes.add(match[1]);
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , , , , , , , inode] = fields;
      if (local !== undefined && inode !== undefined && inodes.has(inode)) {
        ports.add(Number.parseInt(local.split(':')[1] ?? '', 16));
      }
    }
  }
  return ports;
}

async function post(hub: HubProcess, incidentId: string): Promise<void> {
  const response = await hub.call('police', '/v1/domestic-abuse-incidents', {
    method: 'POST',
    body: JSON.stringify(whitlockIncident({ incidentId })),
  });
  expect(response.status, await response.clone().text()).toBe(202);
}

describe('the audit log on two hub processes', () => {
  it('gives the events of traffic to both one leaf each, with consecutive indexes', async () => {
    for (let i = 0; i < 6; i += 1) await post(i % 2 === 0 ? first : second, `ASP-LOG-A-${i}`);
    const now = await settled(30);
    expect(now).toEqual({ events: now.events, indexed: now.events, distinct: now.events, max: now.events - 1 });
  });

  it('goes on without gap or double when the leader is killed', async () => {
    const killed = await leader();
    const survivor = killed === first ? second : first;
    const before = await indexes();
    // Mid-traffic: posts to the survivor go on while the leader dies.
    const traffic = (async () => {
      for (let i = 0; i < 6; i += 1) await post(survivor, `ASP-LOG-B-${i}`);
    })();
    await killed.kill('SIGKILL');
    await traffic;
    const now = await settled(before.events + 30);
    expect(now).toEqual({ events: now.events, indexed: now.events, distinct: now.events, max: now.events - 1 });
    expect(await leader()).toBe(survivor);
    // The survivor signs the grown tree.
    await expect
      .poll(
        async () => {
          const response = await survivor.call('igOfficer', '/v1/audit/log/checkpoint');
          return parseCheckpoint(parseNote(await response.text()).text).size;
        },
        { timeout: 30_000 },
      )
      .toBe(now.events);
  });
});
