import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@hub/config';
import { createLogger } from '@hub/logger';
import {
  MemoryTree,
  TREE_SIZE_CONTENT_TYPE,
  consistencyProof,
  cosignatureVerifier,
  formatAddCheckpoint,
  generateSignerKey,
  noteSigner,
  noteVerifier,
  openCheckpoint,
  openNote,
  parseCosignatureLines,
  signCheckpoint,
  type NoteSigner,
} from '@hub/tlog';
import { submitToWitness } from '@hub/tlog-client';
import { witnessEnv } from './config.ts';
import { startWitness, type RunningWitness } from './start.ts';
import { originHashOf } from './witness.ts';

// The witness as another organisation runs it: its own process shape (startWitness from WITNESS_* configuration),
// its own key file and state file, spoken to over real HTTP by raw requests and by the hub's client.

const ORIGIN = 'hub.test/audit';
const OTHER_ORIGIN = 'other.test/log';
const WITNESS_NAME = 'witness.test/w1';

const log = generateSignerKey(ORIGIN);
const impostor = generateSignerKey(ORIGIN); // same name, another key: a forger without the log's key
const other = generateSignerKey(OTHER_ORIGIN);

/** A log: a tree of numbered entries, `variant` changing their bytes (a fork or a rewrite). */
function treeOf(size: number, variant = ''): MemoryTree {
  const tree = new MemoryTree();
  for (let i = 0; i < size; i += 1) tree.appendEntry(Buffer.from(`{"event":${i}${variant}}`));
  return tree;
}

function checkpointOf(tree: MemoryTree, size = tree.size, signer: NoteSigner = noteSigner(log.skey)): string {
  return signCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) }, [signer]);
}

let dir: string;
let files: Record<'key' | 'state' | 'logs', string>;
let witness: RunningWitness;
// The witness's log lines, kept to show what it logs (and what it does not). Not @hub/testkit: the witness has
// nothing of the hub's stack, and neither does its test.
const logLines: string[] = [];
const captured = {
  logger: createLogger({
    service: 'witness',
    level: 'trace',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  }),
  text: () => logLines.join(''),
};

function configOf(overrides: Record<string, string> = {}) {
  return loadConfig(witnessEnv, {
    WITNESS_PORT: '0',
    WITNESS_KEY_FILE: files.key,
    WITNESS_KEY_GENERATE: 'true',
    WITNESS_NAME,
    WITNESS_STATE_FILE: files.state,
    WITNESS_LOGS_FILE: files.logs,
    ...overrides,
  });
}

async function post(body: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${witness.address.url}/add-checkpoint`, { method: 'POST', body });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

const endpoint = () => ({ url: witness.address.url, vkey: witness.vkey });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'witness-'));
  files = { key: join(dir, 'witness.key'), state: join(dir, 'state.json'), logs: join(dir, 'logs.txt') };
  await writeFile(files.logs, `# origin vkey\n${ORIGIN} ${log.vkey}\n\n${OTHER_ORIGIN} ${other.vkey}\n`);
  witness = await startWitness(configOf(), captured.logger);
});

afterAll(async () => {
  await witness.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the witness (C2SP tlog-witness over HTTP)', () => {
  const tree = treeOf(40);

  it('made its key on first run (0600) and publishes the cosignature vkey beside it', async () => {
    expect(witness.vkey.startsWith(`${WITNESS_NAME}+`)).toBe(true);
    expect((await readFile(`${files.key}.vkey`, 'utf8')).trim()).toBe(witness.vkey);
    const { stat } = await import('node:fs/promises');
    expect((await stat(files.key)).mode & 0o777).toBe(0o600);
  });

  it('cosigns the first checkpoint of a log (old size 0, no proof), with a timestamped cosignature/v1', async () => {
    const before = Math.floor(Date.now() / 1000);
    const answer = await post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: checkpointOf(tree, 5) }));
    expect(answer.status).toBe(200);
    const [line] = parseCosignatureLines(answer.text);
    expect(line?.name).toBe(WITNESS_NAME);
    const cosigned = `${checkpointOf(tree, 5)}${answer.text}`;
    const opened = openCheckpoint(cosigned, ORIGIN, [noteVerifier(log.vkey), cosignatureVerifier(witness.vkey)]);
    expect(opened.checkpoint.size).toBe(5);
    expect(opened.note.verified).toHaveLength(2);
    expect(line!.signature.readBigUInt64BE(0)).toBeGreaterThanOrEqual(BigInt(before));
  });

  it('cosigns a larger checkpoint with a valid consistency proof from the last one (the hub client)', async () => {
    const result = await submitToWitness(endpoint(), {
      checkpoint: checkpointOf(tree, 12),
      oldSize: 5,
      proof: (from) => consistencyProof(from, 12, tree),
    });
    expect(result.size).toBe(12);
    openNote(result.cosigned, [cosignatureVerifier(witness.vkey)]);
    expect(result.timestamp).toBeGreaterThan(0);
  });

  it('answers a wrong old size 409 text/x.tlog.size with its size, and the client resynchronises', async () => {
    const answer = await post(
      formatAddCheckpoint({ oldSize: 3, proof: consistencyProof(3, 20, tree), checkpoint: checkpointOf(tree, 20) }),
    );
    expect(answer).toEqual({ status: 409, type: TREE_SIZE_CONTENT_TYPE, text: '12\n' });

    const asked: number[] = [];
    const result = await submitToWitness(endpoint(), {
      checkpoint: checkpointOf(tree, 20),
      oldSize: 0, // a hub that lost track (a rebuild) starts from 0
      proof: (from) => {
        asked.push(from);
        return consistencyProof(from, 20, tree);
      },
    });
    expect(asked).toEqual([12]);
    expect(result.size).toBe(20);
  });

  it('re-cosigns the same checkpoint (same size, same root), refreshing its timestamp', async () => {
    const result = await submitToWitness(endpoint(), {
      checkpoint: checkpointOf(tree, 20),
      oldSize: 20,
      proof: () => [],
    });
    expect(result.size).toBe(20);
  });

  it('refuses a fork: a checkpoint whose tree does not extend the cosigned one is 422, and nothing changes', async () => {
    const fork = treeOf(30, ',"edited":true'); // every entry rewritten, hashes recomputed, signed with the log's key
    const answer = await post(
      formatAddCheckpoint({ oldSize: 20, proof: consistencyProof(20, 30, fork), checkpoint: checkpointOf(fork) }),
    );
    expect(answer.status).toBe(422);
    expect(answer.type).toContain('application/problem+json');
    // A proof from the honest tree with the fork's root does not verify either.
    const mixed = await post(
      formatAddCheckpoint({ oldSize: 20, proof: consistencyProof(20, 30, tree), checkpoint: checkpointOf(fork) }),
    );
    expect(mixed.status).toBe(422);
    await expect(
      submitToWitness(endpoint(), {
        checkpoint: checkpointOf(fork),
        oldSize: 20,
        proof: (from) => consistencyProof(from, 30, fork),
      }),
    ).rejects.toMatchObject({ code: 'inconsistent', status: 422 });
    // The witness still holds 20: the honest continuation is cosigned.
    const honest = await submitToWitness(endpoint(), {
      checkpoint: checkpointOf(tree, 30),
      oldSize: 20,
      proof: (from) => consistencyProof(from, 30, tree),
    });
    expect(honest.size).toBe(30);
    expect(captured.text()).toContain('refused an inconsistent checkpoint');
  });

  it('refuses the same size with another root (422), a truncation (400: old size above the size)', async () => {
    const fork = treeOf(30, 'x');
    expect((await post(formatAddCheckpoint({ oldSize: 30, proof: [], checkpoint: checkpointOf(fork) }))).status).toBe(
      422,
    );
    const truncated = await post(formatAddCheckpoint({ oldSize: 30, proof: [], checkpoint: checkpointOf(tree, 25) }));
    expect(truncated.status).toBe(400);
    // Claiming the truncated size as the old one is a 409 naming 30: the witness never goes back.
    const claimed = await post(formatAddCheckpoint({ oldSize: 25, proof: [], checkpoint: checkpointOf(tree, 25) }));
    expect(claimed).toMatchObject({ status: 409, text: '30\n' });
    await expect(
      submitToWitness(endpoint(), { checkpoint: checkpointOf(tree, 25), oldSize: 25, proof: () => [] }),
    ).rejects.toMatchObject({ code: 'witness-ahead', witnessSize: 30 });
  });

  it('refuses an unknown log (404), a checkpoint not signed by the log key or with a bad signature (403)', async () => {
    const stranger = generateSignerKey('stranger.test/log');
    const unknown = signCheckpoint({ origin: 'stranger.test/log', size: 1, rootHash: tree.root(1) }, [
      noteSigner(stranger.skey),
    ]);
    expect((await post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: unknown }))).status).toBe(404);
    await expect(
      submitToWitness(endpoint(), { checkpoint: unknown, oldSize: 0, proof: () => [] }),
    ).rejects.toMatchObject({ code: 'unknown-log' });

    const forged = checkpointOf(tree, 35, noteSigner(impostor.skey));
    expect(
      (await post(formatAddCheckpoint({ oldSize: 30, proof: consistencyProof(30, 35, tree), checkpoint: forged })))
        .status,
    ).toBe(403);

    // The log's own signature line over another text: the key is known, its signature fails.
    const genuine = checkpointOf(tree, 35);
    const tampered = genuine.replace(`\n35\n`, `\n36\n`);
    const answer = await post(
      formatAddCheckpoint({ oldSize: 30, proof: consistencyProof(30, 35, tree), checkpoint: tampered }),
    );
    expect(answer.status).toBe(403);
    await expect(
      submitToWitness(endpoint(), {
        checkpoint: forged,
        oldSize: 30,
        proof: (from) => consistencyProof(from, 35, tree),
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('refuses malformed requests (400) and the empty-tree rules (422) of a new log', async () => {
    expect((await post('not a request')).status).toBe(400);
    expect((await post(`old 01\n\n${checkpointOf(tree, 35)}`)).status).toBe(400);
    const otherTree = treeOf(3, 'o');
    const sign = (size: number, root: Uint8Array) =>
      signCheckpoint({ origin: OTHER_ORIGIN, size, rootHash: root }, [noteSigner(other.skey)]);
    // Size 0 must carry the empty root.
    expect(
      (await post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: sign(0, otherTree.root(3)) }))).status,
    ).toBe(422);
    // From the empty tree, the proof must be empty.
    const withProof = formatAddCheckpoint({
      oldSize: 0,
      proof: [otherTree.root(1)],
      checkpoint: sign(3, otherTree.root(3)),
    });
    expect((await post(withProof)).status).toBe(422);
    // The other log is untouched by all this: it starts at 0 and is cosigned on its own.
    expect(
      (await post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: sign(3, otherTree.root(3)) }))).status,
    ).toBe(200);
    // A body over the limit never reaches the witness.
    expect((await post(`old 0\n\n${'x'.repeat(100_000)}`)).status).toBe(413);
  });

  it('checks and persists atomically: of two submissions from the same old size, one is cosigned, one gets 409', async () => {
    const [a, b] = await Promise.all([
      post(
        formatAddCheckpoint({ oldSize: 30, proof: consistencyProof(30, 33, tree), checkpoint: checkpointOf(tree, 33) }),
      ),
      post(
        formatAddCheckpoint({ oldSize: 30, proof: consistencyProof(30, 36, tree), checkpoint: checkpointOf(tree, 36) }),
      ),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const held = a.status === 200 ? '33\n' : '36\n';
    expect((a.status === 409 ? a : b).text).toBe(held);
  });

  it('serves the last cosigned checkpoint for monitors at /<sha256(origin)>/checkpoint', async () => {
    const response = await fetch(`${witness.address.url}/${originHashOf(ORIGIN)}/checkpoint`);
    expect(response.status).toBe(200);
    const opened = openCheckpoint(await response.text(), ORIGIN, [
      noteVerifier(log.vkey),
      cosignatureVerifier(witness.vkey),
    ]);
    expect([33, 36]).toContain(opened.checkpoint.size);
    expect((await fetch(`${witness.address.url}/${'0'.repeat(64)}/checkpoint`)).status).toBe(404);
    expect((await fetch(`${witness.address.url}/nothex/checkpoint`)).status).toBe(404);
  });

  it('keeps its state and key across a restart, and one state file has one witness', async () => {
    await expect(startWitness(configOf(), captured.logger)).rejects.toThrow('another witness process');
    const vkey = witness.vkey;
    const held = (await fetch(`${witness.address.url}/${originHashOf(ORIGIN)}/checkpoint`).then((r) => r.text())).split(
      '\n',
    )[1];
    await witness.stop();
    witness = await startWitness(configOf(), captured.logger);
    expect(witness.vkey).toBe(vkey);
    const answer = await post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: checkpointOf(tree, 40) }));
    expect(answer).toMatchObject({ status: 409, text: `${held}\n` });
    const result = await submitToWitness(endpoint(), {
      checkpoint: checkpointOf(tree, 40),
      oldSize: 0,
      proof: (from) => consistencyProof(from, 40, tree),
    });
    expect(result.size).toBe(40);
  });

  it('does not start on a state file it cannot read, or a key file others can read', async () => {
    await witness.stop();
    const good = await readFile(files.state, 'utf8');
    await writeFile(files.state, '{"version":1,"logs":{"x":{}}}');
    await expect(startWitness(configOf(), captured.logger)).rejects.toThrow('not a version 1 witness state');
    await writeFile(files.state, good);
    await chmod(files.key, 0o644);
    await expect(startWitness(configOf(), captured.logger)).rejects.toThrow('readable by others');
    await chmod(files.key, 0o600);
    await expect(startWitness(configOf({ WITNESS_NAME: 'witness.test/w2' }), captured.logger)).rejects.toThrow(
      'another name',
    );
    witness = await startWitness(configOf(), captured.logger);
  });

  it('logs no request text: no checkpoint, no signature line, no request body', () => {
    expect(captured.text()).toContain('witness listening');
    expect(captured.text()).not.toContain('\u2014');
    expect(captured.text()).not.toContain('old ');
  });
});
