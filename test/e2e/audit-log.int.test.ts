/*
 * The audit log end to end on the whole hub (real Kafka, Redis, PostgreSQL, HTTP) with a real witness process:
 * events from real traffic become leaves, checkpoints are signed and cosigned, and `./hub audit export` and
 * `./hub audit verify` (in-process, over the hub's HTTP API, with only the log's and the witness's public keys) and
 * the hub's own periodic verification (GET /v1/audit/log/verification) verify the untouched log, then name each
 * tamper made to the store with SQL, as someone with database access would.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditLogVerification } from '@hub/contracts';
import { startTestHub, victimOnlyIncident, type TestHub } from '@hub/hub/testing';
import { createPostgres, type Postgres } from '@hub/postgres';
import { captureLogs, testEndpoints } from '@hub/testkit';
import { generateSignerKey, parseCheckpoint, parseNote } from '@hub/tlog';
import { EXIT, runAuditCli } from '@hub/tlog-client';
import { startWitness, witnessEnv, type RunningWitness } from '@hub/witness';
import { cutLog, insertEvent, rewriteLog, wipeLog } from './audit-tamper.ts';
import { postIncident } from './flow.ts';

const ORIGIN = 'hub.test/audit-e2e';
const log = generateSignerKey(ORIGIN);
const logs = captureLogs('audit-log-e2e');
let dir: string;
let witness: RunningWitness;
let hub: TestHub;
let store: Postgres;

async function cli(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await runAuditCli(args, {
    env: {
      HUB_TOKEN: await hub.token('igOfficer'),
      HUB_URL: hub.url,
      AUDIT_LOG_VKEY: log.vkey,
      AUDIT_WITNESS_VKEYS: witness.vkey,
    },
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    readFile: (path) => readFile(path, 'utf8'),
    writeFile: (path, text) => writeFile(path, text),
  });
  return { status, out, err };
}

/** Polls `read` until `done` holds (a plain loop: beforeAll cannot use expect.poll). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      const errors = hub.logs
        .lines()
        .filter((line) => line['level'] === 'error')
        .slice(-3);
      throw new Error(`timed out waiting for the audit log: ${JSON.stringify(value)} ${JSON.stringify(errors)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The latest cosigned checkpoint's size, once a witness has cosigned one at least `size` large. */
async function cosignedAtLeast(size: number): Promise<number> {
  return until(
    async () => {
      const response = await hub.call('igOfficer', '/v1/audit/log/cosigned-checkpoint');
      if (response.status !== 200) return 0;
      return parseCheckpoint(parseNote(await response.text()).text).size;
    },
    (reached) => reached >= size,
  );
}

/** Asks the hub to verify itself now and waits for that run's result. */
async function verification(timeoutMs?: number): Promise<AuditLogVerification> {
  const before = await (await hub.call('igOfficer', '/v1/audit/log/verification')).json();
  const started = await hub.call('igOfficer', '/v1/audit/log/verification', { method: 'POST' });
  expect(started.status).toBe(202);
  return until(
    async () => (await (await hub.call('igOfficer', '/v1/audit/log/verification')).json()) as AuditLogVerification,
    (answer) => !answer.running && answer.at !== (before as AuditLogVerification).at,
    timeoutMs,
  );
}

/** The schema the audit view's tables are in (`<deployment schema>_audit_<generation>`). */
async function auditStore(): Promise<Postgres> {
  const { postgresUrl } = testEndpoints();
  const probe = createPostgres({ url: postgresUrl, applicationName: 'audit-log-e2e', logger: logs.logger });
  try {
    const { rows } = await probe.query<{ schema: string }>(
      `SELECT table_schema AS schema FROM information_schema.tables
        WHERE table_name = 'audit_log_tiles' AND table_schema LIKE $1 ORDER BY table_schema DESC LIMIT 1`,
      [`${hub.postgresSchema}%`],
    );
    const schema = rows[0]?.schema;
    if (schema === undefined) throw new Error('no audit log tables in the deployment');
    return createPostgres({ url: postgresUrl, applicationName: 'audit-log-e2e', logger: logs.logger, schema });
  } finally {
    await probe.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-log-e2e-'));
  const keyFile = join(dir, 'audit-log.skey');
  await writeFile(keyFile, `${log.skey}\n`);
  await chmod(keyFile, 0o600);
  await writeFile(join(dir, 'logs.txt'), `${ORIGIN} ${log.vkey}\n`);
  witness = await startWitness(
    witnessEnv.parse({
      WITNESS_PORT: '0',
      WITNESS_KEY_FILE: join(dir, 'witness.key'),
      WITNESS_KEY_GENERATE: 'true',
      WITNESS_NAME: 'witness.test/e2e',
      WITNESS_STATE_FILE: join(dir, 'witness-state.json'),
      WITNESS_LOGS_FILE: join(dir, 'logs.txt'),
    }),
    logs.logger,
  );
  hub = await startTestHub({
    env: {
      AUDIT_LOG_ORIGIN: ORIGIN,
      AUDIT_LOG_KEY_FILE: keyFile,
      AUDIT_WITNESSES: `${witness.address.url} ${witness.vkey}`,
      AUDIT_LOG_VERIFY_INTERVAL_SECONDS: '3600',
    },
  });
  for (let i = 0; i < 3; i += 1) await postIncident(hub, victimOnlyIncident(`AUDIT-LOG-E2E-${i}`));
  await cosignedAtLeast(20);
  store = await auditStore();
}, 180_000);

afterAll(async () => {
  // Whatever beforeAll got to start (a broker hiccup can stop it half way).
  const started = { store, hub, witness } as Partial<{ store: Postgres; hub: TestHub; witness: RunningWitness }>;
  await started.store?.close();
  await started.hub?.stop();
  await started.witness?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the audit log on the whole hub', () => {
  it('verifies untouched: ./hub audit verify --log, an exported bundle, and the periodic verification', async () => {
    const whole = await cli(
      'verify',
      '--log',
      '--witness-url',
      witness.address.url,
      '--save-trusted',
      join(dir, 'held'),
    );
    expect(whole.err).toBe('');
    expect(whole.status).toBe(EXIT.ok);
    expect(whole.out).toContain('cosigned by witness.test/e2e');
    const bundle = join(dir, 'bundle.json');
    expect((await cli('export', '--out', bundle)).status).toBe(EXIT.ok);
    const checked = await cli('verify', bundle, '--trusted', join(dir, 'held'));
    expect(checked.err).toBe('');
    expect(checked.status).toBe(EXIT.ok);
    const answer = await verification();
    expect(answer).toMatchObject({ state: 'verified', ok: true, failures: [] });
    expect(answer.cosigned?.cosignatures.map((c) => c.witness)).toEqual(['witness.test/e2e']);
  });

  it('names an edited event (and is green again once it is put back)', async () => {
    const { rows } = await store.query<{ entry: Buffer }>('SELECT entry FROM audit_events WHERE leaf_index = 3');
    const original = rows[0]!.entry;
    const edited = Buffer.from(original.toString('utf8').replace('"action":"', '"action":"x'));
    await store.query('UPDATE audit_events SET entry = $1 WHERE leaf_index = 3', [edited]);
    const result = await cli('verify', '--log');
    expect(result.status).toBe(EXIT.failed);
    expect(result.err).toContain('entry-mismatch (leaf 3)');
    const answer = await verification();
    expect(answer).toMatchObject({ state: 'failed', ok: false });
    expect(answer.failures).toContainEqual(expect.objectContaining({ code: 'entry-mismatch', leafIndex: 3 }));
    await store.query('UPDATE audit_events SET entry = $1 WHERE leaf_index = 3', [original]);
    expect((await verification()).ok).toBe(true);
  });

  it('names reordered events', async () => {
    const swap = async () => {
      // Through an index far beyond the log (leaf indexes are unique and not negative).
      await store.query('UPDATE audit_events SET leaf_index = 1000000000000 WHERE leaf_index = 5');
      await store.query('UPDATE audit_events SET leaf_index = 5 WHERE leaf_index = 6');
      await store.query('UPDATE audit_events SET leaf_index = 6 WHERE leaf_index = 1000000000000');
    };
    await swap();
    const result = await cli('verify', '--log');
    expect(result.err).toContain('entry-mismatch (leaf 5)');
    expect(result.err).toContain('entry-mismatch (leaf 6)');
    expect((await verification()).failures).toContainEqual(expect.objectContaining({ leafIndex: 6 }));
    await swap();
  });

  it('names a deleted event', async () => {
    const { rows } = await store.query('SELECT * FROM audit_events WHERE leaf_index = 8');
    const row = rows[0]!;
    await store.query('DELETE FROM audit_events WHERE leaf_index = 8');
    expect((await cli('verify', '--log')).status).toBe(EXIT.failed);
    const answer = await verification();
    expect(answer.failures.map((f) => f.code)).toContain('missing-entries');
    const columns = Object.keys(row);
    await store.query(
      `INSERT INTO audit_events (${columns.join(', ')}) SELECT * FROM json_populate_record(NULL::audit_events, $1)`,
      [JSON.stringify(Object.fromEntries(columns.map((c) => [c, bytesAsHex(row[c])])))],
    );
    expect((await verification()).ok).toBe(true);
  });

  it('names an inserted event (and is green again once it is taken out)', async () => {
    const restore = await insertEvent(store, 10);
    const result = await cli('verify', '--log');
    expect(result.status).toBe(EXIT.failed);
    expect(result.err).toContain('entry-mismatch (leaf 10)');
    const answer = await verification();
    expect(answer.failures).toContainEqual(expect.objectContaining({ code: 'entry-mismatch', leafIndex: 10 }));
    await restore();
    expect((await verification()).ok).toBe(true);
  });

  it('catches the whole log rewritten with recomputed hashes, behind the witness and the held checkpoint', async () => {
    const restore = await rewriteLog(store, 0);
    // The store is consistent with itself: only what was held before (checkpoints, the witness) can tell.
    const result = await cli('verify', '--log', '--trusted', join(dir, 'held'), '--witness-url', witness.address.url);
    expect(result.status).toBe(EXIT.failed);
    expect(result.err).toMatch(/inconsistent|root-mismatch/);
    expect(result.err).not.toContain('entry-mismatch');
    const answer = await verification();
    expect(answer.ok).toBe(false);
    expect(answer.failures.map((f) => f.code)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(inconsistent|root-mismatch)$/)]),
    );
    await restore();
    expect((await verification()).ok).toBe(true);
  });

  it('a fork: a checkpoint signed by the log for another history, held by the verifier', async () => {
    const { signCheckpoint, noteSigner, MemoryTree } = await import('@hub/tlog');
    const other = new MemoryTree();
    for (let i = 0; i < 10; i += 1) other.appendEntry(Buffer.from(`{"fork":${i}}`));
    await writeFile(
      join(dir, 'fork'),
      signCheckpoint({ origin: ORIGIN, size: 10, rootHash: other.root() }, [noteSigner(log.skey)]),
    );
    const result = await cli('verify', '--log', '--trusted', join(dir, 'fork'));
    expect(result.err).toContain('inconsistent');
  });

  it('catches truncation: leaves cut from the store, behind the witness and the held checkpoint', async () => {
    await cosignedAtLeast(20);
    // Cut back to a checkpoint the log signed before the one the verifier holds: the cut log is consistent with
    // itself and with that checkpoint, so only what is held (the verifier's checkpoint, the witness's) can tell.
    const held = parseCheckpoint(parseNote(await readFile(join(dir, 'held'), 'utf8')).text).size;
    const { rows } = await store.query<{ size: string }>(
      'SELECT max(size) AS size FROM audit_log_checkpoints WHERE size < $1',
      [held],
    );
    await cutLog(store, Number(rows[0]?.size));
    const result = await cli('verify', '--log', '--trusted', join(dir, 'held'), '--witness-url', witness.address.url);
    expect(result.status).toBe(EXIT.failed);
    expect(result.err).toContain('truncated');
    expect((await verification()).ok).toBe(false);
  });

  it('catches a wiped log (last: nothing is put back), behind the witness and the held checkpoint', async () => {
    await wipeLog(store);
    const result = await cli('verify', '--log', '--trusted', join(dir, 'held'), '--witness-url', witness.address.url);
    // Exit 1: with no checkpoint left the hub answers not-ready; once it has sequenced new events into the emptied
    // tree and signed that, the log there is smaller than (or another history from) every checkpoint held.
    expect(result.status).toBe(EXIT.failed);
    expect(result.err).toMatch(/wiped|truncated|checkpoints could not be read/);
    // The hub's own verification first waits (30 s) for the store to catch up with the witness's checkpoint.
    const answer = await verification(90_000);
    expect(answer.ok).toBe(false);
    expect(answer.failures.map((f) => f.code)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(wiped|truncated|inconsistent)$/)]),
    );
  }, 120_000);
});

/** A bytea read back as a Buffer goes into json_populate_record as PostgreSQL's hex form. */
function bytesAsHex(value: unknown): unknown {
  return Buffer.isBuffer(value) ? `\\x${value.toString('hex')}` : value;
}
