import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvent } from '@hub/audit';
import { createTestClient } from '@hub/auth/testing';
import { auditEvent as auditEventSchema, auditEventsTopic, canonicalJson, type AuditEvent } from '@hub/contracts';
import { defineService, type ServiceDeps } from '@hub/runtime';
import { startRouteHarness, type RouteHarness } from '@hub/runtime/testing';
import { captureLogs } from '@hub/testkit';
import {
  TILE_WIDTH,
  cosignatureVerifier,
  decodeEntryBundle,
  leafHash,
  noteVerifier,
  openCheckpoint,
  rootHash,
  tileReader,
  tilePath,
  tilesOfTree,
  verifyConsistency,
  verifyInclusion,
  type Checkpoint,
} from '@hub/tlog';
import { startWitness, witnessEnv, type RunningWitness } from '@hub/witness';
import { createAuditLog } from './index.ts';
import { loadLogKey } from './keys.ts';
import { readLogState } from './state.ts';
import { AUDIT_LOG_MIGRATIONS } from './migrations.ts';
import { EVENTS_FIXTURE, projectEvents } from './test-fixture.ts';

// The log's routes as the hub serves them (real runtime, auth, Kafka, PostgreSQL), with a real witness (services/
// witness) cosigning its checkpoints, and every answer checked with @hub/tlog alone, as an auditor would.

const ORIGIN = 'hub.test/audit';
const national = createTestClient({ clientId: 'ig-national', role: 'ig-officer-national', organisation: 'X26' });
const areaOfficer = createTestClient({ clientId: 'somerset-ig', role: 'ig-officer', organisation: 'E06000066' });
const gp = createTestClient({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' });
const logs = captureLogs('audit-log-routes-test');

let dir: string;
let vkey: string;
let witness: RunningWitness;
let h: RouteHarness;
const started = { harness: false, witness: false };
/** The tree's size once the events are in (every later request adds audit events, so leaves, after it). */
let size: number;
const events: AuditEvent[] = Array.from({ length: 300 }, (_, i) =>
  auditEvent('audit', 'audit-searched', new Date(Date.UTC(2026, 11, 1, 10, 0, i)), { reason: 'scope:hub' }, [
    String(i),
  ]),
);

/** The log alone as a service: its tables over the store's (a fixture), its steps, leader and routes. */
function logService(deps: ServiceDeps) {
  const log = createAuditLog(deps);
  return defineService({
    name: 'audit',
    routes: log.routes,
    steps: log.steps,
    workers: log.workers,
    views: ['audit'],
    migrations: [EVENTS_FIXTURE, ...AUDIT_LOG_MIGRATIONS],
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-log-routes-'));
  const keyFile = join(dir, 'log.skey');
  vkey = loadLogKey(keyFile, ORIGIN, true).vkey;
  // The witness knows the log by its origin and vkey, as its operator would configure it.
  await writeFile(join(dir, 'logs.txt'), `${ORIGIN} ${vkey}\n`);
  witness = await startWitness(
    witnessEnv.parse({
      WITNESS_KEY_FILE: join(dir, 'witness.skey'),
      WITNESS_KEY_GENERATE: 'true',
      WITNESS_NAME: 'witness.test/w1',
      WITNESS_STATE_FILE: join(dir, 'witness-state.json'),
      WITNESS_LOGS_FILE: join(dir, 'logs.txt'),
      WITNESS_PORT: '0',
    }),
    logs.logger,
  );
  started.witness = true;
  h = await startRouteHarness({
    service: 'audit',
    clients: [national, areaOfficer, gp],
    services: [logService],
    env: {
      AUDIT_LOG_ORIGIN: ORIGIN,
      AUDIT_LOG_KEY_FILE: keyFile,
      AUDIT_WITNESSES: `${witness.address.url} ${witness.vkey}`,
    },
  });
  started.harness = true;
  const store = await projectEvents(h.deps.kafka, h.deps.viewPostgres('audit'));
  afterAllStops.push(() => store.stop());
  // Tokens first: each is audited (token-issued), a leaf of the log too, before the events.
  for (const client of [national, areaOfficer, gp]) await h.token(client);
  await h.deps.kafka.publish(
    auditEventsTopic,
    events.map((value, i) => ({ key: `k${i}`, value })),
  );
  // Every event sequenced and the whole tree signed and cosigned.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { rows } = await h.deps
      .viewPostgres('audit')
      .query<{ count: string }>(
        'SELECT count(*) AS count FROM audit_events WHERE leaf_index IS NOT NULL AND event_id = ANY($1)',
        [events.map((event) => event.eventId)],
      );
    size = (await readLogState(h.deps.viewPostgres('audit'))).size;
    if (Number(rows[0]?.count) === events.length && (await cosigned())?.size === size) break;
    if (Date.now() > deadline) throw new Error('no cosigned checkpoint of every event in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 120_000);

const afterAllStops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of afterAllStops) await stop();
  // Only what beforeAll got to start (a shared broker's hiccup can fail the harness's start).
  if (started.harness) await h.close();
  if (started.witness) await witness.stop();
  await rm(dir, { recursive: true, force: true });
});

const get = (client: typeof national | null, url: string) => h.inject(client, { method: 'GET', url });

function open(note: string): Checkpoint {
  return openCheckpoint(note, ORIGIN, [noteVerifier(vkey)]).checkpoint;
}

async function cosigned(): Promise<Checkpoint | undefined> {
  const response = await get(gp, '/v1/audit/log/cosigned-checkpoint');
  if (response.statusCode !== 200) return undefined;
  return openCheckpoint(response.body, ORIGIN, [noteVerifier(vkey), cosignatureVerifier(witness.vkey)]).checkpoint;
}

describe('the checkpoint', () => {
  it('is a C2SP signed note any authenticated caller reads, verifying with the log key', async () => {
    const response = await get(gp, '/v1/audit/log/checkpoint');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    const checkpoint = open(response.body);
    expect(checkpoint.origin).toBe(ORIGIN);
    expect(checkpoint.size).toBeGreaterThanOrEqual(size);
    // A signature from another key is refused by the same check (the check can fail).
    const other = loadLogKey(join(dir, 'other.skey'), ORIGIN, true).vkey;
    expect(() => openCheckpoint(response.body, ORIGIN, [noteVerifier(other)])).toThrow();
  });

  it('is cosigned by the witness, whose cosignature verifies with its key', async () => {
    const response = await get(national, '/v1/audit/log/cosigned-checkpoint');
    expect(response.statusCode).toBe(200);
    const { note } = openCheckpoint(response.body, ORIGIN, [noteVerifier(vkey), cosignatureVerifier(witness.vkey)]);
    expect(note.verified.map((signature) => signature.name).sort()).toEqual([ORIGIN, 'witness.test/w1'].sort());
  });

  it('needs a token', async () => {
    expect((await get(null, '/v1/audit/log/checkpoint')).statusCode).toBe(401);
  });
});

describe('tiles', () => {
  it('give the checkpoint root to an auditor holding only the tiles', async () => {
    const checkpoint = open((await get(gp, '/v1/audit/log/checkpoint')).body);
    const fetched = new Map<string, Buffer>();
    for (const tile of tilesOfTree(checkpoint.size)) {
      const response = await get(gp, `/v1/audit/log/${tilePath(tile)}`);
      expect(response.statusCode, tilePath(tile)).toBe(200);
      expect(response.headers['content-type']).toBe('application/octet-stream');
      fetched.set(`${tile.level}/${tile.index}`, response.rawPayload);
    }
    const reader = tileReader(checkpoint.size, (tile) => fetched.get(`${tile.level}/${tile.index}`) ?? Buffer.alloc(0));
    expect(Buffer.from(rootHash(checkpoint.size, reader)).equals(checkpoint.rootHash)).toBe(true);
  });

  it('are refused in any spelling but the canonical one (400 naming the parameter), and 404 beyond the tree', async () => {
    for (const bad of ['0/x000/001', '00/001', '0/1', '0/001.p/0', '0/001.p/256', '64/000', '0/000.p/7/extra']) {
      const response = await get(gp, `/v1/audit/log/tile/${bad}`);
      expect(response.statusCode, bad).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation-failed', errors: [{ pointer: '/params/tilePath' }] });
      expect(response.body).not.toContain(bad);
    }
    expect((await get(gp, '/v1/audit/log/tile/0/005')).statusCode).toBe(404);
    expect((await get(gp, '/v1/audit/log/tile/1/000')).statusCode).toBe(404);
    // The first tile is full past 256 leaves; a partial of it is its prefix.
    const full = (await get(gp, '/v1/audit/log/tile/0/000')).rawPayload;
    expect(full.length).toBe(TILE_WIDTH * 32);
    expect((await get(gp, '/v1/audit/log/tile/0/000.p/3')).rawPayload.equals(full.subarray(0, 96))).toBe(true);
  });
});

describe('entry bundles', () => {
  it('give a national IG officer the events, each read audited first', async () => {
    const response = await get(national, '/v1/audit/log/tile/entries/000');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const entries = decodeEntryBundle(response.rawPayload);
    expect(entries.length).toBe(TILE_WIDTH);
    // The entries hash to the level-0 tile's leaves: the auditor can check each event against the tree.
    const tile = (await get(gp, '/v1/audit/log/tile/0/000')).rawPayload;
    entries.forEach((entry, i) => {
      expect(leafHash(entry).equals(tile.subarray(i * 32, (i + 1) * 32))).toBe(true);
    });
    const width = size - TILE_WIDTH;
    const partial = await get(national, `/v1/audit/log/tile/entries/001.p/${width}`);
    const rest = decodeEntryBundle(partial.rawPayload);
    expect(rest.length).toBe(width);
    // Every entry is an audit event's canonical JSON, and every event published is among them.
    const all = [...entries, ...rest].map((entry) => entry.toString('utf8'));
    expect(all.every((text) => canonicalJson(auditEventSchema.parse(JSON.parse(text))) === text)).toBe(true);
    const logged = new Set(all);
    expect(events.every((event) => logged.has(canonicalJson(event)))).toBe(true);
    const read = await h.auditedWhere((event) => event.action === 'audit-log-entries-read', 2);
    expect(read.map((event) => event.reason).sort()).toEqual(['leaves:0-255', `leaves:256-${size - 1}`]);
    expect(read.every((event) => event.actor?.clientId === national.clientId)).toBe(true);
  });

  it('are refused to an area IG officer and to anyone else, and beyond the tree', async () => {
    expect((await get(areaOfficer, '/v1/audit/log/tile/entries/000')).statusCode).toBe(403);
    expect((await get(gp, '/v1/audit/log/tile/entries/000')).statusCode).toBe(403);
    expect((await get(national, '/v1/audit/log/tile/entries/001')).statusCode).toBe(404);
    expect((await get(national, '/v1/audit/log/tile/entries/001.p/255')).statusCode).toBe(404);
    expect((await get(national, '/v1/audit/log/tile/entries/x001')).statusCode).toBe(400);
  });
});

describe('proofs', () => {
  it('prove an event included, by event id and by leaf index, against the latest checkpoint', async () => {
    const event = events[123]!;
    const response = await get(areaOfficer, `/v1/audit/log/proofs/inclusion?eventId=${event.eventId}`);
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      treeSize: number;
      rootHash: string;
      checkpoint: string;
      proofs: { leafIndex: number; leafHash: string; proof: string[] }[];
    }>();
    const checkpoint = open(body.checkpoint);
    expect(body.treeSize).toBe(checkpoint.size);
    expect(body.proofs).toHaveLength(1);
    const [found] = body.proofs;
    const leaf = leafHash(Buffer.from(canonicalJson(event), 'utf8'));
    verifyInclusion({
      index: found!.leafIndex,
      size: checkpoint.size,
      leafHash: leaf,
      proof: found!.proof.map((hash) => Buffer.from(hash, 'base64')),
      root: checkpoint.rootHash,
    });
    // In an older tree, by index: the one the leaf was the last of.
    const older = found!.leafIndex + 1;
    const byIndex = await get(
      national,
      `/v1/audit/log/proofs/inclusion?leafIndex=${found!.leafIndex}&treeSize=${older}`,
    );
    expect(byIndex.statusCode).toBe(200);
    const proof = byIndex.json<{ rootHash: string; checkpoint: string | null; proofs: { proof: string[] }[] }>();
    // A checkpoint is included only when the log signed one of exactly that size.
    if (proof.checkpoint !== null) expect(open(proof.checkpoint).size).toBe(older);
    verifyInclusion({
      index: found!.leafIndex,
      size: older,
      leafHash: leaf,
      proof: proof.proofs[0]!.proof.map((hash) => Buffer.from(hash, 'base64')),
      root: Buffer.from(proof.rootHash, 'base64'),
    });
  });

  it('prove two sizes consistent', async () => {
    const latest = open((await get(gp, '/v1/audit/log/checkpoint')).body);
    const middle = await get(national, '/v1/audit/log/proofs/inclusion?leafIndex=0&treeSize=137');
    const root137 = Buffer.from(middle.json<{ rootHash: string }>().rootHash, 'base64');
    const response = await get(gp, `/v1/audit/log/proofs/consistency?from=137&to=${latest.size}`);
    expect(response.statusCode).toBe(200);
    const { proof } = response.json<{ proof: string[] }>();
    verifyConsistency({
      size1: 137,
      size2: latest.size,
      root1: root137,
      root2: latest.rootHash,
      proof: proof.map((hash) => Buffer.from(hash, 'base64')),
    });
  });

  it('refuse bad queries naming the field, and answer 404 beyond the log', async () => {
    const cases: [string, string][] = [
      ['/v1/audit/log/proofs/inclusion', '/query/eventId'],
      [`/v1/audit/log/proofs/inclusion?leafIndex=1&eventId=${events[0]!.eventId}`, '/query/eventId'],
      ['/v1/audit/log/proofs/inclusion?leafIndex=01', '/query/leafIndex'],
      ['/v1/audit/log/proofs/inclusion?leafIndex=1&treeSize=0', '/query/treeSize'],
      ['/v1/audit/log/proofs/consistency?from=5&to=4', '/query/to'],
      ['/v1/audit/log/proofs/consistency?from=0&to=4', '/query/from'],
      ['/v1/audit/log/proofs/consistency?from=1&to=99999999999999999', '/query/to'],
    ];
    for (const [url, pointer] of cases) {
      const response = await get(national, url);
      expect(response.statusCode, url).toBe(400);
      expect(
        response.json<{ errors: { pointer: string }[] }>().errors.map((e) => e.pointer),
        url,
      ).toContain(pointer);
    }
    expect((await get(national, '/v1/audit/log/proofs/inclusion?leafIndex=10000')).statusCode).toBe(404);
    expect((await get(national, '/v1/audit/log/proofs/inclusion?leafIndex=1&treeSize=10000')).statusCode).toBe(404);
    expect((await get(national, `/v1/audit/log/proofs/inclusion?eventId=aud_${'0'.repeat(32)}`)).statusCode).toBe(404);
    expect((await get(gp, '/v1/audit/log/proofs/consistency?from=1&to=10000')).statusCode).toBe(404);
    expect((await get(gp, '/v1/audit/log/proofs/inclusion?leafIndex=1')).statusCode).toBe(403);
  });
});

it('logs no entry content and no token', async () => {
  const text = h.logs.text();
  for (const token of await h.tokens()) expect(text).not.toContain(token);
  expect(text).not.toContain(events[0]!.eventId);
});
