import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryTree,
  TREE_SIZE_CONTENT_TYPE,
  cosigner,
  cosignerVerifierKey,
  formatSignatureLine,
  generateSignerKey,
  noteSigner,
  parseNote,
  signCheckpoint,
  signNote,
} from '@hub/tlog';
import { WitnessError, submitToWitness } from './witness-client.ts';

// The client against witnesses that misbehave or are away, over real HTTP (the real witness is in
// services/witness/src/witness.int.test.ts): nothing but a verified cosignature of the configured key is accepted.

const log = generateSignerKey('hub.test/audit');
const witness = generateSignerKey('witness.test/w1');
const other = generateSignerKey('witness.test/w2');
const tree = new MemoryTree();
for (let i = 0; i < 10; i += 1) tree.appendEntry(Buffer.from(`e${i}`));
const checkpoint = signCheckpoint({ origin: 'hub.test/audit', size: 10, rootHash: tree.root() }, [
  noteSigner(log.skey),
]);
const lineOf = (skey: string, text = parseNote(checkpoint).text, time = 1_800_000_000) =>
  formatSignatureLine(parseNote(signNote(text, [cosigner(skey, () => time)])).signatures[0]!);

let answer: (request: IncomingMessage, response: ServerResponse) => void = () => undefined;
let server: Server;
let url: string;
const bodies: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      bodies.push(body);
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/w1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const submit = (options: { timeoutMs?: number; maxResyncs?: number } = {}) =>
  submitToWitness(
    { url, vkey: cosignerVerifierKey(witness.skey) },
    { checkpoint, oldSize: 0, proof: () => [] },
    options,
  );

const reply = (status: number, body = '', type = 'text/plain') => {
  answer = (_request, response) => {
    response.writeHead(status, { 'content-type': type });
    response.end(body);
  };
};

describe('submitToWitness against a witness that misbehaves', () => {
  it('posts the C2SP body to <prefix>/add-checkpoint and takes only its own key line, verified', async () => {
    answer = (request, response) => {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/w1/add-checkpoint');
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`${lineOf(other.skey)}${lineOf(witness.skey)}`);
    };
    const result = await submit();
    expect(bodies.at(-1)).toBe(`old 0\n\n${checkpoint}`);
    expect(result.signature.name).toBe('witness.test/w1');
    expect(result.timestamp).toBe(1_800_000_000);
  });

  it.each([
    ['no line of its key', () => lineOf(other.skey)],
    ['a line of its key over another checkpoint', () => lineOf(witness.skey, 'hub.test/audit\n9\nAAAA\n')],
    ['a zero timestamp', () => lineOf(witness.skey, undefined, 0)],
    ['text that is not signature lines', () => 'ok\n'],
  ])('refuses a 200 with %s as bad-response', async (_, body) => {
    reply(200, body());
    await expect(submit()).rejects.toMatchObject({ code: 'bad-response', status: 200 });
  });

  it('resynchronises on 409 at most maxResyncs times, then says conflict', async () => {
    reply(409, '5\n', TREE_SIZE_CONTENT_TYPE);
    await expect(submit({ maxResyncs: 2 })).rejects.toMatchObject({ code: 'conflict', witnessSize: 5 });
    expect(bodies.slice(-3).map((body) => body.split('\n')[0])).toEqual(['old 0', 'old 5', 'old 5']);
  });

  it.each([
    [400, 'bad-request'],
    [403, 'forbidden'],
    [404, 'unknown-log'],
    [409, 'inconsistent'],
    [422, 'inconsistent'],
    [429, 'unavailable'],
    [503, 'unavailable'],
    [418, 'bad-response'],
  ])('maps %i to %s', async (status, code) => {
    reply(status, '{"title":"whatever the witness says"}', 'application/json');
    const error = await submit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WitnessError);
    expect(error).toMatchObject({ code, status });
    expect((error as Error).message).not.toContain('whatever');
  });

  it('gives up on a witness that does not answer in time, and refuses an answer too large', async () => {
    answer = () => undefined; // never answers
    await expect(submit({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'unavailable' });
    reply(200, 'x'.repeat(100_000));
    await expect(submit()).rejects.toMatchObject({ code: 'bad-response' });
  });

  it('refuses a witness ahead of the checkpoint without asking for a proof', async () => {
    reply(409, '11\n', TREE_SIZE_CONTENT_TYPE);
    await expect(submit()).rejects.toMatchObject({ code: 'witness-ahead', witnessSize: 11 });
  });
});
