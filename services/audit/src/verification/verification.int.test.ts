import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_LOG_VERIFICATION_FAILURES, auditLogVerification } from '@hub/contracts';
import { createPostgres, migrate, type Postgres } from '@hub/postgres';
import { captureLogs, isolatedPostgresSchema, testEndpoints } from '@hub/testkit';
import {
  VERIFICATION_FAILURES,
  generateSignerKey,
  leafHash,
  noteSigner,
  parseCheckpoint,
  parseNote,
  signCheckpoint,
} from '@hub/tlog';
import { submitToWitness } from '@hub/tlog-client';
import { startWitness, witnessEnv, type RunningWitness } from '@hub/witness';
import { AUDIT_LOG_MIGRATIONS } from '../log/migrations.ts';
import { EVENTS_FIXTURE } from '../log/test-fixture.ts';
import { consistencyProofAt, integrate, rootAt } from '../log/tree.ts';
import {
  VERIFICATION_TIMINGS,
  createAuditLogVerification,
  latestRun,
  verificationOf,
  type AuditLogVerificationPart,
} from './index.ts';
import { AUDIT_VERIFICATION_MIGRATIONS } from './store.ts';

// The hub's periodic verification on real PostgreSQL, with a real witness process: a log written into the store's
// tables (events, tiles, checkpoints) as the log's machinery writes them, cosigned by the witness, then each tamper
// of issue 11 made to the tables with SQL, as someone with database access would. Each must be named; an untouched
// log must verify.

const ORIGIN = 'hub.test/audit';
const { postgresUrl } = testEndpoints();
const logs = captureLogs('audit-verification-test');
const log = generateSignerKey(ORIGIN);
const schemas: string[] = [];
let dir: string;
let witness: RunningWitness;
let postgres: Postgres;
let part: AuditLogVerificationPart;

const entryOf = (i: number, variant = '') => Buffer.from(`{"eventId":"aud_${i}","action":"audit-searched"${variant}}`);

/** Appends `entries` as the applier does: rows with their leaf indexes, then the tiles, in one transaction. */
async function append(entries: readonly Buffer[]): Promise<void> {
  await postgres.transaction(async (tx) => {
    const { rows } = await tx.query<{ size: string }>('SELECT count(*) AS size FROM audit_events');
    const size = Number(rows[0]?.size ?? 0);
    await tx.query(
      `INSERT INTO audit_events (kafka_partition, kafka_offset, event_id, entry, leaf_hash, leaf_index)
       SELECT 0, i, 'aud_' || i, e, h, i FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS t(i, e, h)`,
      [entries.map((_, i) => size + i), entries, entries.map((entry) => leafHash(entry))],
    );
    await integrate(
      tx,
      size,
      entries.map((entry) => leafHash(entry)),
    );
    await tx.query('UPDATE audit_log_state SET size = $1', [size + entries.length]);
  });
}

/** Signs a checkpoint of the stored tree at `size` (the log key; an attacker holding it can do the same). */
async function signAt(size: number): Promise<string> {
  return signCheckpoint({ origin: ORIGIN, size, rootHash: await rootAt(postgres, size) }, [noteSigner(log.skey)]);
}

let witnessSize = 0;

/** Signs the tree's checkpoint, has the witness cosign it, and stores both as the checkpoint projector does. */
async function checkpoint(size: number): Promise<string> {
  const note = await signAt(size);
  const cosigned = await submitToWitness(
    { url: witness.address.url, vkey: witness.vkey },
    { checkpoint: note, oldSize: witnessSize, proof: (from) => consistencyProofAt(postgres, from, size) },
  );
  witnessSize = cosigned.size;
  await store(note, cosigned.cosigned);
  return cosigned.cosigned;
}

async function store(note: string, cosigned: string | null): Promise<void> {
  const { size, rootHash } = parseCheckpoint(parseNote(note).text);
  await postgres.query(
    `INSERT INTO audit_log_checkpoints (size, root, note, signed_at, cosigned_note, witnesses, tree_root_matches)
     VALUES ($1, $2, $3, now(), $4, $5, true)
     ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note, root = EXCLUDED.root, cosigned_note = EXCLUDED.cosigned_note`,
    [size, Buffer.from(rootHash), note, cosigned, cosigned === null ? [] : ['witness.test/w1']],
  );
}

async function verify() {
  const run = await part.verifier.runOnce('demand');
  if (run === undefined) throw new Error('the verification lock was held');
  return run;
}

const codes = (run: { failures: readonly { code: string }[] }) => [...new Set(run.failures.map((f) => f.code))];
const leavesOf = (run: { failures: readonly { code: string; leafIndex?: number }[] }, code: string) =>
  run.failures.filter((f) => f.code === code).map((f) => f.leafIndex);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-verification-'));
});

afterAll(async () => {
  const observer = createPostgres({ url: postgresUrl, applicationName: 'verification-test', logger: logs.logger });
  for (const schema of schemas) await observer.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await observer.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  // A fresh witness (its own key and state) and a fresh store for each log.
  const wdir = await mkdtemp(join(dir, 'w-'));
  await writeFile(join(wdir, 'logs.txt'), `${ORIGIN} ${log.vkey}\n`);
  witness = await startWitness(
    witnessEnv.parse({
      WITNESS_PORT: '0',
      WITNESS_KEY_FILE: join(wdir, 'key'),
      WITNESS_KEY_GENERATE: 'true',
      WITNESS_NAME: 'witness.test/w1',
      WITNESS_STATE_FILE: join(wdir, 'state.json'),
      WITNESS_LOGS_FILE: join(wdir, 'logs.txt'),
    }),
    logs.logger,
  );
  witnessSize = 0;
  await openStore();
  part = trusting([{ url: witness.address.url, vkey: witness.vkey }], { catchUpMs: 500 });
  // An honest log of 600 events, checkpointed and cosigned at 300 and at 600.
  await append(Array.from({ length: 300 }, (_, i) => entryOf(i)));
  await checkpoint(300);
  await append(Array.from({ length: 300 }, (_, i) => entryOf(300 + i)));
  await checkpoint(600);
});

afterEach(async () => {
  await witness.stop();
  await postgres.close();
});

describe('the periodic verification', () => {
  it('verifies an untouched log, records it, and answers it as the contract says', async () => {
    const run = await verify();
    expect(run.failures).toEqual([]);
    expect(run).toMatchObject({ ok: true, leaves: 600, latest: { size: 600 }, cosigned: { size: 600 } });
    expect(run.cosignatures.map((c) => c.witness)).toEqual(['witness.test/w1']);
    const answer = verificationOf(await latestRun(postgres), await latestRun(postgres, true), {
      running: false,
      intervalSeconds: 600,
    });
    expect(auditLogVerification.parse(answer)).toMatchObject({ state: 'verified', ok: true, treeSize: 600 });
    expect(answer.lastVerifiedAt).toBe(answer.at);
  });

  it('names an edited event', async () => {
    await postgres.query('UPDATE audit_events SET entry = $1 WHERE leaf_index = 7', [entryOf(7, ',"edited":1')]);
    const run = await verify();
    expect(leavesOf(run, 'entry-mismatch')).toEqual([7]);
    expect(codes(run)).toContain('root-mismatch');
    // The contract's answer is red, and names the leaf.
    const answer = verificationOf(await latestRun(postgres), await latestRun(postgres, true), {
      running: false,
      intervalSeconds: 600,
    });
    expect(auditLogVerification.parse(answer)).toMatchObject({ state: 'failed', ok: false, lastVerifiedAt: null });
    expect(answer.failures[0]).toMatchObject({ code: 'entry-mismatch', leafIndex: 7 });
  });

  it('names a deleted event', async () => {
    await postgres.query('DELETE FROM audit_events WHERE leaf_index = 100');
    await postgres.query('UPDATE audit_events SET leaf_index = leaf_index - 1 WHERE leaf_index > 100');
    const run = await verify();
    expect(leavesOf(run, 'entry-mismatch')[0]).toBe(100);
    expect(codes(run)).toEqual(expect.arrayContaining(['entry-mismatch', 'missing-entries']));
  });

  it('names an inserted event', async () => {
    await postgres.query('UPDATE audit_events SET leaf_index = -leaf_index - 1 WHERE leaf_index >= 20');
    await postgres.query('UPDATE audit_events SET leaf_index = -leaf_index WHERE leaf_index < 0');
    await postgres.query(
      `INSERT INTO audit_events (kafka_partition, kafka_offset, event_id, entry, leaf_hash, leaf_index)
       VALUES (1, 0, 'aud_forged', $1, $2, 20)`,
      [entryOf(9999), leafHash(entryOf(9999))],
    );
    const run = await verify();
    expect(leavesOf(run, 'entry-mismatch')[0]).toBe(20);
  });

  it('names reordered events', async () => {
    await postgres.query('UPDATE audit_events SET leaf_index = -1 WHERE leaf_index = 30');
    await postgres.query('UPDATE audit_events SET leaf_index = 30 WHERE leaf_index = 31');
    await postgres.query('UPDATE audit_events SET leaf_index = 31 WHERE leaf_index = -1');
    const run = await verify();
    expect(leavesOf(run, 'entry-mismatch')).toEqual([30, 31]);
  });

  it('catches truncation: the tail deleted, the tiles rebuilt and a smaller checkpoint signed', async () => {
    await verify(); // the last verified cosigned checkpoint (600) is held from now on
    await cut(400);
    const run = await verify();
    // The cut checkpoint has no cosignature (the witness refuses to go back), and the log is below what was held.
    expect(codes(run)).toEqual(['missing-cosignature', 'truncated']);
    expect(run.failures.map((f) => f.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('its trusted checkpoint 600')]),
    );
  });

  it('catches the whole log rewritten with recomputed hashes and re-signed with the log key', async () => {
    await verify();
    await cut(0);
    await append(Array.from({ length: 600 }, (_, i) => entryOf(i, ',"rewritten":true')));
    await store(await signAt(600), null);
    const run = await verify();
    // No witness cosigned the rewrite; the held checkpoint and the witness's own are not prefixes of it.
    expect(codes(run)).toEqual(['missing-cosignature', 'inconsistent']);
  });

  it('catches a wiped log, even with the verification history wiped too (the witness still holds it)', async () => {
    await verify();
    await postgres.query('TRUNCATE audit_events, audit_log_tiles, audit_log_checkpoints, audit_log_verifications');
    const run = await verify();
    expect(codes(run)).toEqual(['missing-cosignature', 'wiped']);
  });

  it('catches a fork: the store grown from another history, signed with the log key', async () => {
    await cut(300, { keepCheckpoints: true });
    await append(Array.from({ length: 400 }, (_, i) => entryOf(300 + i, ',"fork":1')));
    await store(await signAt(700), null);
    const run = await verify();
    // The cosigned 600 in the store is not this tree's, and the witness's own 600 is not a prefix of it.
    expect(codes(run)).toEqual(['root-mismatch', 'inconsistent']);
  });

  it('runs one verification at a time per deployment, and on demand through its worker', async () => {
    const second = trusting([]);
    const [a, b] = await Promise.all([part.verifier.runOnce('demand'), second.verifier.runOnce('demand')]);
    expect([a, b].filter((run) => run === undefined)).toHaveLength(1);

    const abort = new AbortController();
    const running = part.workers[0]!.run(abort.signal, { ready: () => Promise.resolve(true) });
    await expect.poll(async () => (await latestRun(postgres))?.trigger, { timeout: 10_000 }).toBe('schedule');
    const before = (await postgres.query<{ n: string }>('SELECT count(*) AS n FROM audit_log_verifications')).rows[0]
      ?.n;
    await expect.poll(() => part.verifier.running(), { timeout: 5_000 }).toBe(false);
    expect(part.verifier.demand()).toEqual({ started: true });
    await expect.poll(async () => (await latestRun(postgres))?.trigger, { timeout: 10_000 }).toBe('demand');
    expect(Number(before)).toBeGreaterThan(0);
    abort.abort();
    await running;
  });

  it('judges nothing on schedule while the view is building or the log is only new, then verifies it', async () => {
    // A store of its own, new: no event, no checkpoint, no run; no witness configured (none holds anything of it).
    await openStore();
    const fresh = trusting([]);
    let viewReady = false;
    const abort = new AbortController();
    const running = fresh.workers[0]!.run(abort.signal, { ready: () => Promise.resolve(viewReady) });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    viewReady = true;
    await new Promise((resolve) => setTimeout(resolve, VERIFICATION_TIMINGS.notYetPollMs + 1_000));
    // Not shown red for being new: nothing recorded at all.
    expect(await latestRun(postgres)).toBeUndefined();
    await append([0, 1, 2].map((i) => entryOf(i)));
    await store(await signAt(3), null);
    await expect
      .poll(async () => (await latestRun(postgres))?.trigger, { timeout: VERIFICATION_TIMINGS.notYetPollMs * 3 })
      .toBe('schedule');
    expect(await latestRun(postgres)).toMatchObject({ ok: true, leaves: 3 });
    abort.abort();
    await running;
  }, 40_000);

  it('names the same failures the contract declares', () => {
    expect([...VERIFICATION_FAILURES]).toEqual([...AUDIT_LOG_VERIFICATION_FAILURES]);
  });

  it('logs failure codes, never an entry', async () => {
    await postgres.query('UPDATE audit_events SET entry = $1 WHERE leaf_index = 3', [entryOf(3, ',"secret":"x"')]);
    await verify();
    expect(logs.text()).toContain('audit log verification failed');
    expect(logs.text()).not.toContain('secret');
  });
});

/**
 * Cuts the store back to `size` leaves and rebuilds the tiles; unless `keepCheckpoints`, the checkpoints go too and
 * one of `size` is signed.
 */
type VerificationOptions = Parameters<typeof createAuditLogVerification>[0];

/** A new store of its own, as `postgres`: the events fixture and the log's and verification's tables. */
async function openStore(): Promise<void> {
  const schema = isolatedPostgresSchema();
  schemas.push(schema);
  postgres = createPostgres({ url: postgresUrl, applicationName: 'verification-test', logger: logs.logger, schema });
  await migrate(postgres, [EVENTS_FIXTURE, ...AUDIT_LOG_MIGRATIONS, ...AUDIT_VERIFICATION_MIGRATIONS], {
    logger: logs.logger,
  });
}

/** The verification of the current store, trusting `witnesses`. */
function trusting(
  witnesses: VerificationOptions['witnesses'],
  more: Partial<VerificationOptions> = {},
): AuditLogVerificationPart {
  return createAuditLogVerification({
    postgres,
    logger: logs.logger,
    now: () => new Date(),
    origin: ORIGIN,
    logVkey: log.vkey,
    witnesses,
    intervalSeconds: 600,
    schema: postgres.schema,
    ...more,
  });
}

async function cut(size: number, options: { keepCheckpoints?: boolean } = {}): Promise<void> {
  const { rows } = await postgres.query<{ entry: Buffer }>(
    'SELECT entry FROM audit_events WHERE leaf_index < $1 ORDER BY leaf_index',
    [size],
  );
  await postgres.query('TRUNCATE audit_events, audit_log_tiles');
  if (options.keepCheckpoints !== true) await postgres.query('DELETE FROM audit_log_checkpoints');
  await postgres.query('UPDATE audit_log_state SET size = 0');
  if (rows.length > 0) await append(rows.map((row) => row.entry));
  if (rows.length > 0 && options.keepCheckpoints !== true) await store(await signAt(size), null);
}
