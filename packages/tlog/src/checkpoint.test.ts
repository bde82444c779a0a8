import { describe, expect, it } from 'vitest';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.ts';
import { TlogError } from './errors.ts';
import { generateSignerKey } from './keys.ts';
import { EMPTY_ROOT } from './merkle.ts';
import { noteSigner, noteVerifier } from './note.ts';

// C2SP tlog-checkpoint.md (commit 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9): the example's note text. Its signing
// key is not published, so the signature itself is only parsed (in cosignature.test.ts), not verified.
const SPEC_TEXT = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof TlogError) return error.code;
    throw error;
  }
}

describe('checkpoints (C2SP tlog-checkpoint)', () => {
  it("reads the spec's example and writes it back byte for byte", () => {
    const checkpoint = parseCheckpoint(SPEC_TEXT);
    expect(checkpoint.origin).toBe('example.com/behind-the-sofa');
    expect(checkpoint.size).toBe(20852163);
    expect(Buffer.from(checkpoint.rootHash).toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(checkpoint.extensions).toBeUndefined();
    expect(formatCheckpoint(checkpoint)).toBe(SPEC_TEXT);
  });

  it('keeps extension lines, and writes the empty tree as size 0', () => {
    const withExtensions = `${SPEC_TEXT}ext one\next two\n`;
    expect(parseCheckpoint(withExtensions).extensions).toEqual(['ext one', 'ext two']);
    expect(formatCheckpoint(parseCheckpoint(withExtensions))).toBe(withExtensions);
    expect(formatCheckpoint({ origin: 'hub.example/audit', size: 0, rootHash: EMPTY_ROOT })).toBe(
      'hub.example/audit\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n',
    );
  });

  it.each([
    ['no final newline', SPEC_TEXT.slice(0, -1)],
    ['two lines', 'example.com/x\n1\n'],
    ['an empty origin', `\n${SPEC_TEXT.split('\n').slice(1).join('\n')}`],
    ['a leading zero', SPEC_TEXT.replace('20852163', '020852163')],
    ['a sign', SPEC_TEXT.replace('20852163', '+20852163')],
    ['a negative size', SPEC_TEXT.replace('20852163', '-1')],
    ['a size of 2^53', SPEC_TEXT.replace('20852163', '9007199254740992')],
    ['a size in hex', SPEC_TEXT.replace('20852163', '0x10')],
    ['a short root', SPEC_TEXT.replace('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'YmFuYW5hcw==')],
    ['an unpadded root', SPEC_TEXT.replace('2I=', '2I')],
    ['a root with stray bits', SPEC_TEXT.replace('2I=', '2J=')],
    ['a url-safe root', SPEC_TEXT.replace('m/X', 'm_X')],
    ['an empty extension line', `${SPEC_TEXT}\next\n`],
    ['a trailing blank line', `${SPEC_TEXT}\n`],
    ['a carriage return', SPEC_TEXT.replace('\n20852163', '\r\n20852163')],
    ['too many extension lines', SPEC_TEXT + 'x\n'.repeat(17)],
  ])('refuses %s', (_, text) => {
    expect(codeOf(() => parseCheckpoint(text))).toBe('malformed-checkpoint');
  });

  it('refuses to write an origin that is not a key name, a bad size or a short root', () => {
    const good = { origin: 'hub.example/audit', size: 1, rootHash: EMPTY_ROOT };
    expect(codeOf(() => formatCheckpoint({ ...good, origin: 'two words' }))).toBe('malformed-checkpoint');
    expect(codeOf(() => formatCheckpoint({ ...good, size: -1 }))).toBe('malformed-checkpoint');
    expect(codeOf(() => formatCheckpoint({ ...good, size: 1.5 }))).toBe('malformed-checkpoint');
    expect(codeOf(() => formatCheckpoint({ ...good, rootHash: EMPTY_ROOT.subarray(1) }))).toBe('malformed-checkpoint');
    expect(codeOf(() => formatCheckpoint({ ...good, extensions: ['a\nb'] }))).toBe('malformed-checkpoint');
  });

  describe('signed', () => {
    const log = generateSignerKey('hub.example/audit');
    const checkpoint = { origin: 'hub.example/audit', size: 42, rootHash: Buffer.alloc(32, 9) };
    const signed = signCheckpoint(checkpoint, [noteSigner(log.skey)]);
    const verifiers = [noteVerifier(log.vkey)];

    it('opens with the log key and gives back the checkpoint', () => {
      const opened = openCheckpoint(signed, 'hub.example/audit', verifiers);
      expect(opened.checkpoint.size).toBe(42);
      expect(Buffer.from(opened.checkpoint.rootHash).equals(checkpoint.rootHash)).toBe(true);
      expect(opened.note.verified.map((s) => s.name)).toEqual(['hub.example/audit']);
    });

    it('refuses another origin, another key, an edited size, root or origin', () => {
      expect(codeOf(() => openCheckpoint(signed, 'hub.example/other', verifiers))).toBe('origin-mismatch');
      const stranger = generateSignerKey('hub.example/audit');
      expect(codeOf(() => openCheckpoint(signed, 'hub.example/audit', [noteVerifier(stranger.vkey)]))).toBe(
        'unverified-note',
      );
      const root = Buffer.from(checkpoint.rootHash).toString('base64');
      const editedRoot = root.replace('CQkJ', 'CQkK');
      expect(editedRoot).not.toBe(root);
      for (const tampered of [
        signed.replace('\n42\n', '\n43\n'),
        signed.replace(root, editedRoot),
        signed.replace('hub.example/audit\n42', 'hub.example/audix\n42'),
      ]) {
        expect(codeOf(() => openCheckpoint(tampered, 'hub.example/audit', verifiers))).toMatch(
          /invalid-signature|origin-mismatch/,
        );
      }
      // The signature line renamed: no longer the log's key, so nothing vouches for the checkpoint.
      const renamed = signed.replace('\u2014 hub.example/audit ', '\u2014 hub.example/audix ');
      expect(codeOf(() => openCheckpoint(renamed, 'hub.example/audit', verifiers))).toBe('unverified-note');
    });

    it('refuses a signed note whose text is not a checkpoint', () => {
      const note = signCheckpoint(checkpoint, [noteSigner(log.skey)]).replace(/^hub.example\/audit\n/, '');
      expect(codeOf(() => openCheckpoint(note, 'hub.example/audit', verifiers))).toMatch(/invalid-signature/);
    });
  });
});
