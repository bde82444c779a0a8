import { describe, expect, it } from 'vitest';
import { TlogError } from './errors.ts';
import {
  MAX_PROOF_LINES,
  formatAddCheckpoint,
  formatTreeSize,
  parseAddCheckpoint,
  parseCosignatureLines,
  parseTreeSize,
} from './witness-protocol.ts';

// The example request body of C2SP tlog-witness ("add-checkpoint"), C2SP/C2SP@5ba5ee830903e91240fc6f9f3a7a9293d49e69c9.
const SPEC_CHECKPOINT =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
  '\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n';
const SPEC_PROOF = [
  'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=',
  'jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=',
  '5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=',
  '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=',
];
const SPEC_BODY = `old 20852014\n${SPEC_PROOF.map((line) => `${line}\n`).join('')}\n${SPEC_CHECKPOINT}`;

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof TlogError ? error.code : 'not a TlogError';
  }
};

describe('add-checkpoint bodies', () => {
  it("reads the spec's example and writes it back byte for byte", () => {
    const request = parseAddCheckpoint(Buffer.from(SPEC_BODY, 'utf8'));
    expect(request.oldSize).toBe(20852014);
    expect(request.proof.map((hash) => Buffer.from(hash).toString('base64'))).toEqual(SPEC_PROOF);
    expect(request.checkpoint).toBe(SPEC_CHECKPOINT);
    expect(formatAddCheckpoint(request)).toBe(SPEC_BODY);
  });

  it('reads an old size of 0 with no proof', () => {
    const request = parseAddCheckpoint(`old 0\n\n${SPEC_CHECKPOINT}`);
    expect(request).toEqual({ oldSize: 0, proof: [], checkpoint: SPEC_CHECKPOINT });
  });

  it.each([
    ['no old line', `${SPEC_PROOF[0]}\n\n${SPEC_CHECKPOINT}`],
    ['a leading zero', `old 020852014\n\n${SPEC_CHECKPOINT}`],
    ['a negative size', `old -1\n\n${SPEC_CHECKPOINT}`],
    ['a size above 2^53', `old 9007199254740993\n\n${SPEC_CHECKPOINT}`],
    ['two spaces', `old  1\n\n${SPEC_CHECKPOINT}`],
    ['a short hash', `old 1\nAAAA\n\n${SPEC_CHECKPOINT}`],
    ['non-canonical base64', `old 1\n${SPEC_PROOF[0]?.replace('=', '')}\n\n${SPEC_CHECKPOINT}`],
    ['no blank line', `old 1\n${SPEC_CHECKPOINT.split('\n\n')[0]}`],
    ['no checkpoint', 'old 1\n\n'],
    ['64 proof lines', `old 1\n${`${SPEC_PROOF[0]}\n`.repeat(MAX_PROOF_LINES + 1)}\n${SPEC_CHECKPOINT}`],
    ['a carriage return', `old 1\r\n\n${SPEC_CHECKPOINT}`],
  ])('refuses %s', (_, body) => {
    expect(code(() => parseAddCheckpoint(body))).toBe('malformed-request');
  });

  it('refuses bytes that are not UTF-8 and a body over the limit', () => {
    expect(code(() => parseAddCheckpoint(Buffer.from([0x6f, 0x6c, 0x64, 0x20, 0xff])))).toBe('malformed-request');
    expect(code(() => parseAddCheckpoint(`old 1\n\n${'x'.repeat(100_000)}`))).toBe('malformed-request');
  });

  it('writes at most 63 proof lines of 32-byte hashes', () => {
    const hash = new Uint8Array(32);
    expect(formatAddCheckpoint({ oldSize: 1, proof: Array(63).fill(hash), checkpoint: SPEC_CHECKPOINT })).toContain(
      'old 1\n',
    );
    expect(code(() => formatAddCheckpoint({ oldSize: 1, proof: Array(64).fill(hash), checkpoint: 'x' }))).toBe(
      'malformed-request',
    );
    expect(code(() => formatAddCheckpoint({ oldSize: 1, proof: [new Uint8Array(31)], checkpoint: 'x' }))).toBe(
      'bad-hash-size',
    );
  });
});

describe('409 and 200 bodies', () => {
  it('reads and writes a tree size', () => {
    expect(formatTreeSize(20852163)).toBe('20852163\n');
    expect(parseTreeSize('20852163\n')).toBe(20852163);
    expect(parseTreeSize('0\n')).toBe(0);
    expect(code(() => parseTreeSize('12'))).toBe('malformed-request');
    expect(code(() => parseTreeSize('012\n'))).toBe('malformed-request');
    expect(code(() => parseTreeSize(' 12\n'))).toBe('malformed-request');
  });

  it("reads the spec's example cosignature lines", () => {
    const body =
      '\u2014 witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n' +
      '\u2014 witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n';
    const lines = parseCosignatureLines(body);
    expect(lines.map((line) => line.name)).toEqual(['witness.example/w1', 'witness.example/w2']);
    expect(lines[0]?.signature.length).toBe(72);
    expect(code(() => parseCosignatureLines(''))).toBe('malformed-request');
    expect(code(() => parseCosignatureLines('- witness.example/w1 AAAA\n'))).toBe('malformed-request');
  });
});
