import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryTree,
  TILE_WIDTH,
  addSignatures,
  buildTile,
  cosigner,
  cosignerVerifierKey,
  encodeEntryBundle,
  generateSignerKey,
  noteSigner,
  parseNote,
  parseTilePath,
  signCheckpoint,
  signNote,
  tileWidth,
} from '@hub/tlog';
import { EXIT, runAuditCli } from './audit-cli.ts';

// `./hub audit export` and `./hub audit verify` over real HTTP, against a log built with @hub/tlog and served the
// way the hub serves its own (C2SP tlog-tiles under /v1/audit/log/, entries behind a bearer token). Each tamper of
// issue 11 is made to the served log or to a written bundle, and each must be named with a non-zero exit.

const ORIGIN = 'hub.test/audit';
const TOKEN = 'ig-token-for-tests';
const log = generateSignerKey(ORIGIN);
const witness = generateSignerKey('witness.test/w1');
const witnessVkey = cosignerVerifierKey(witness.skey);

const entriesOf = (n: number, variant = '') =>
  Array.from({ length: n }, (_, i) => Buffer.from(`{"eventId":"aud_${i}","action":"x"${variant}}`));

function treeOf(entries: readonly Buffer[]): MemoryTree {
  const tree = new MemoryTree();
  for (const entry of entries) tree.appendEntry(entry);
  return tree;
}

const sign = (tree: MemoryTree, size = tree.size) =>
  signCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) }, [noteSigner(log.skey)]);

const cosign = (note: string) =>
  addSignatures(
    note,
    parseNote(signNote(parseNote(note).text, [cosigner(witness.skey, () => Math.floor(Date.now() / 1000))])).signatures,
  );

/** What the test server serves; each test sets it (an honest log, then a tampered one). */
interface Served {
  entries: Buffer[];
  tree: MemoryTree; // the tiles served
  checkpoint: string | undefined;
  cosigned: string | undefined;
  /** The witness's last cosigned checkpoint (its monitoring API). */
  witnessHeld: string | undefined;
}

function honest(n = 600): Served {
  const entries = entriesOf(n);
  const tree = treeOf(entries);
  const checkpoint = sign(tree);
  const cosigned = cosign(checkpoint);
  return { entries, tree, checkpoint, cosigned, witnessHeld: cosigned };
}

let served: Served = honest();

/** The log key's holder serves `entries` instead, with a checkpoint of them signed with the log key. */
function resigned(entries: Buffer[]): void {
  const tree = treeOf(entries);
  served = { ...served, entries, tree, checkpoint: sign(tree) };
}
let server: Server;
let hub: string;
let dir: string;
const requests: string[] = [];

function serve(path: string, authorised: boolean): { status: number; body?: Buffer | string } {
  const witnessPath = /^\/witness\/([0-9a-f]{64})\/checkpoint$/.exec(path);
  if (witnessPath !== null) {
    const hash = createHash('sha256').update(ORIGIN).digest('hex');
    return witnessPath[1] === hash && served.witnessHeld !== undefined
      ? { status: 200, body: served.witnessHeld }
      : { status: 404 };
  }
  const prefix = '/v1/audit/log/';
  if (!path.startsWith(prefix)) return { status: 404 };
  const rest = path.slice(prefix.length);
  if (rest === 'checkpoint')
    return served.checkpoint === undefined ? { status: 404 } : { status: 200, body: served.checkpoint };
  if (rest === 'cosigned-checkpoint') {
    return served.cosigned === undefined ? { status: 404 } : { status: 200, body: served.cosigned };
  }
  let tile;
  try {
    tile = parseTilePath(rest);
  } catch {
    return { status: 404 };
  }
  const size = served.tree.size;
  const level = tile.kind === 'entries' ? 0 : tile.level;
  const width = tile.width ?? TILE_WIDTH;
  // Served as a log of `size` leaves serves it: the partial tile of exactly its width, or a full tile.
  if (tileWidth(level, tile.index, size) < width) return { status: 404 };
  if (tile.width !== undefined && tileWidth(level, tile.index, size) !== width) return { status: 404 };
  if (tile.kind === 'hashes') return { status: 200, body: buildTile({ level, index: tile.index, width }, served.tree) };
  if (!authorised) return { status: 401 };
  const entries = served.entries.slice(tile.index * TILE_WIDTH, tile.index * TILE_WIDTH + width);
  return entries.length === 0 ? { status: 404 } : { status: 200, body: encodeEntryBundle(entries) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-cli-'));
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    const answer = serve(path, request.headers.authorization === `Bearer ${TOKEN}`);
    response.writeHead(answer.status, { 'content-type': 'application/octet-stream' });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  served = honest();
});

async function audit(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await runAuditCli(args, {
    env: { HUB_TOKEN: TOKEN, HUB_URL: hub, AUDIT_LOG_VKEY: log.vkey, AUDIT_WITNESS_VKEYS: witnessVkey },
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

const file = (name: string) => join(dir, name);

/** Exports the whole log (or a range) and returns the bundle's path. */
async function exported(name: string, ...range: string[]): Promise<string> {
  const result = await audit('export', '--out', file(name), ...range);
  expect(result.err).toBe('');
  expect(result.status).toBe(EXIT.ok);
  return file(name);
}

/** Rewrites a bundle file's entry lines with `edit` (one JSON object per line, as formatBundle writes them). */
async function editBundle(path: string, edit: (lines: string[]) => string[]): Promise<void> {
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  const start = lines.indexOf('"entries":[') + 1;
  const end = lines.indexOf(']}');
  const entries = edit(lines.slice(start, end).map((line) => line.replace(/,$/, '')));
  await writeFile(path, [...lines.slice(0, start), entries.join(',\n'), ...lines.slice(end)].join('\n'));
}

describe('./hub audit on an untouched log', () => {
  it('exports every event with its proof and verifies the bundle with the keys alone', async () => {
    const bundle = await exported('all.json');
    const result = await audit('verify', bundle);
    expect(result).toMatchObject({ status: EXIT.ok, err: '' });
    expect(result.out).toContain('bundle: 600 events, leaves 0 to 599, all proven');
    expect(result.out).toContain('cosigned by witness.test/w1');
    // Entries were read with the token; nothing else needs one.
    expect(requests.some((path) => path.includes('/tile/entries/'))).toBe(true);
  });

  it('exports a range, and verifies the whole log from its tiles; keeps the checkpoint for next time', async () => {
    expect((await audit('verify', await exported('range.json', '--from', '250', '--to', '300'))).out).toContain(
      'leaves 250 to 299',
    );
    const result = await audit(
      'verify',
      '--log',
      '--save-trusted',
      file('trusted.txt'),
      '--witness-url',
      `${hub}/witness`,
    );
    expect(result).toMatchObject({ status: EXIT.ok, err: '' });
    expect(result.out).toContain('log: 600 leaves verified');
    expect(await readFile(file('trusted.txt'), 'utf8')).toBe(served.cosigned);
    // The log grows honestly: the kept checkpoint is a prefix of it.
    const grown = honest(900);
    served = grown;
    expect((await audit('verify', '--log', '--trusted', file('trusted.txt'))).status).toBe(EXIT.ok);
  });
});

describe('./hub audit names each tamper', () => {
  const failed = (result: { status: number; err: string }, ...expected: string[]) => {
    expect(result.status).toBe(EXIT.failed);
    for (const text of expected) expect(result.err).toContain(text);
  };

  it('an edited event: in the log (leaf named) and in a bundle', async () => {
    const bundle = await exported('edited.json');
    served.entries[7] = Buffer.from('{"eventId":"aud_7","action":"edited"}');
    failed(await audit('verify', '--log'), 'entry-mismatch (leaf 7)', 'root-mismatch');
    await editBundle(bundle, (lines) =>
      lines.map((line, i) =>
        i === 7 ? line.replace(/"entry":"[^"]*"/, `"entry":"${Buffer.from('{"edited":1}').toString('base64')}"`) : line,
      ),
    );
    failed(await audit('verify', bundle), 'inclusion (leaf 7)');
  });

  it('a deleted event: in the log and in a bundle', async () => {
    const bundle = await exported('deleted.json');
    served.entries.splice(100, 1);
    failed(await audit('verify', '--log'), 'entry-mismatch (leaf 100)');
    await editBundle(bundle, (lines) => lines.filter((_, i) => i !== 100));
    failed(await audit('verify', bundle), 'missing-event (leaf 100)');
  });

  it('an inserted event: in the log and in a bundle', async () => {
    const bundle = await exported('inserted.json', '--from', '0', '--to', '50');
    served.entries.splice(20, 0, Buffer.from('{"eventId":"aud_forged"}'));
    failed(await audit('verify', '--log'), 'entry-mismatch (leaf 20)');
    await editBundle(bundle, (lines) => [...lines, lines[10]!.replace('"leafIndex":10', '"leafIndex":50')]);
    failed(await audit('verify', bundle), 'unexpected-event (leaf 50)');
  });

  it('reordered events: in the log and in a bundle', async () => {
    const bundle = await exported('reordered.json');
    [served.entries[30], served.entries[31]] = [served.entries[31]!, served.entries[30]!];
    failed(await audit('verify', '--log'), 'entry-mismatch (leaf 30)', 'entry-mismatch (leaf 31)');
    await editBundle(bundle, (lines) => {
      const entry = (line: string) => /"entry":"[^"]*"/.exec(line)![0];
      const [a, b] = [entry(lines[30]!), entry(lines[31]!)];
      return lines.map((line, i) => (i === 30 ? line.replace(a, b) : i === 31 ? line.replace(b, a) : line));
    });
    failed(await audit('verify', bundle), 'inclusion (leaf 30)', 'inclusion (leaf 31)');
  });

  it('truncation: the tail cut and a smaller checkpoint signed with the log key', async () => {
    await audit('verify', '--log', '--save-trusted', file('before-truncation.txt'));
    resigned(served.entries.slice(0, 400));
    failed(await audit('verify', '--log'), 'truncated');
    // Even serving the cut checkpoint as the cosigned one: no witness cosigned it, and the held one is larger.
    served.cosigned = served.checkpoint;
    failed(
      await audit('verify', '--log', '--trusted', file('before-truncation.txt')),
      'missing-cosignature',
      'truncated',
    );
    failed(await audit('verify', '--log', '--witness-url', `${hub}/witness`), 'truncated');
  });

  it('the whole log rewritten with recomputed hashes and re-signed with the log key', async () => {
    await audit('verify', '--log', '--save-trusted', file('before-rewrite.txt'));
    resigned(entriesOf(600, ',"rewritten":true'));
    failed(await audit('verify', '--log'), 'root-mismatch');
    served.cosigned = served.checkpoint;
    failed(
      await audit('verify', '--log', '--trusted', file('before-rewrite.txt')),
      'missing-cosignature',
      'inconsistent',
    );
  });

  it('a wiped log', async () => {
    await audit('verify', '--log', '--save-trusted', file('before-wipe.txt'));
    const empty = new MemoryTree();
    served = { entries: [], tree: empty, checkpoint: undefined, cosigned: undefined, witnessHeld: served.witnessHeld };
    failed(await audit('verify', '--log', '--trusted', file('before-wipe.txt')), 'wiped');
    served.checkpoint = sign(empty);
    failed(await audit('verify', '--log', '--witness-url', `${hub}/witness`), 'wiped');
  });

  it('a fork: two checkpoints signed by the log that are not consistent', async () => {
    const fork = treeOf(entriesOf(300, ',"fork":1'));
    await writeFile(file('fork.txt'), sign(fork));
    failed(await audit('verify', '--log', '--trusted', file('fork.txt')), 'inconsistent');
    const bundle = await exported('fork.json', '--from', '0', '--to', '10');
    await writeFile(file('fork-same-size.txt'), cosign(sign(treeOf(entriesOf(600, ',"fork":1')))));
    failed(await audit('verify', bundle, '--trusted', file('fork-same-size.txt')), 'inconsistent');
    // A bundle exported since an honest earlier checkpoint proves it a prefix; the fork's is refused.
    await writeFile(file('earlier.txt'), sign(served.tree, 300));
    const since = await exported('since.json', '--from', '0', '--to', '10', '--since', file('earlier.txt'));
    expect((await audit('verify', since, '--trusted', file('earlier.txt'))).status).toBe(EXIT.ok);
    failed(await audit('verify', since, '--trusted', file('fork.txt')), 'inconsistent');
  });

  it('keys other than the log and witness keys verify nothing', async () => {
    const bundle = await exported('keys.json', '--to', '5');
    const impostor = generateSignerKey(ORIGIN);
    failed(await audit('verify', bundle, '--log-key', impostor.vkey), 'log-signature');
    const otherWitness = cosignerVerifierKey(generateSignerKey('witness.test/w2').skey);
    failed(await audit('verify', bundle, '--witness-key', otherWitness), 'missing-cosignature');
  });
});

describe('./hub audit usage', () => {
  it('exits 2 naming what is missing, and 1 when the hub refuses', async () => {
    expect((await audit('frobnicate')).status).toBe(EXIT.usage);
    expect((await audit('export')).err).toContain('--out <file> is required');
    expect((await audit('verify', '--log', '--quorum', '2')).err).toContain('--quorum is more than');
    expect((await audit('verify', '--log', '--log-key', 'nonsense')).err).toContain('neither a vkey nor a file');
    const refused = await runAuditCli(['export', '--out', file('x.json')], {
      env: { HUB_URL: hub, HUB_TOKEN: 'wrong' },
      stdout: () => undefined,
      stderr: () => undefined,
      readFile: (path) => readFile(path, 'utf8'),
      writeFile: (path, text) => writeFile(path, text),
    });
    expect(refused).toBe(EXIT.failed);
    expect((await audit('--help')).out).toContain('usage: ./hub audit export');
    // The operator's side: the log key's public half, to publish.
    await writeFile(file('log.skey'), `${log.skey}\n`);
    expect(await audit('log-key', file('log.skey'))).toEqual({ status: EXIT.ok, out: `${log.vkey}\n`, err: '' });
    expect((await audit('log-key', file('x.json'))).status).toBe(EXIT.usage);
  });
});
