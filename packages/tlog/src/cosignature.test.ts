import { describe, expect, it } from 'vitest';
import { openCheckpoint, signCheckpoint } from './checkpoint.ts';
import {
  COSIGNATURE_SIZE,
  cosignatureTimestamp,
  cosignatureVerifier,
  cosignedMessage,
  cosigner,
  cosignerVerifierKey,
} from './cosignature.ts';
import { TlogError } from './errors.ts';
import { SIGNATURE_TYPE, generateSignerKey, keyId, parseSignerKey, parseVerifierKey } from './keys.ts';
import { addSignatures, noteSigner, noteVerifier, openNote, parseNote, parseSignatureLine } from './note.ts';

// C2SP tlog-cosignature.md (commit 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9): the example cosignature line and the
// example signed message. The witness's key is not published, so the line is read, not verified.
const SPEC_COSIGNATURE =
  '\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==';
const SPEC_CHECKPOINT = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
// transparency-dev/formats note/note_cosigv1_test.go (commit 0b850f1a7b4a5b70deeacac6535e4b8023809d21), TestCoSigV1Timestamp.
const FORMATS_COSIGNATURE =
  'ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof TlogError) return error.code;
    throw error;
  }
}

describe('cosignatures (C2SP tlog-cosignature, Ed25519)', () => {
  it("reads the spec's example: key ID, then the timestamp its signed message shows, then 64 signature bytes", () => {
    const signature = parseSignatureLine(SPEC_COSIGNATURE);
    expect(signature.name).toBe('witness.example.com/w1');
    expect(signature.keyId).toBe(0x8d66cf3f);
    expect(signature.signature).toHaveLength(COSIGNATURE_SIZE);
    expect(cosignatureTimestamp(signature)).toBe(1679315147);
    const fromFormats = Buffer.from(FORMATS_COSIGNATURE, 'base64');
    const time = cosignatureTimestamp({
      name: 'x',
      keyId: fromFormats.readUInt32BE(0),
      signature: fromFormats.subarray(4),
    });
    expect(time).toBe(1727964367);
  });

  it("builds the spec's example signed message", () => {
    expect(cosignedMessage(1679315147, SPEC_CHECKPOINT).toString('utf8')).toBe(
      'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
  });

  const log = generateSignerKey('hub.example/audit');
  const witness = generateSignerKey('witness.example.org/w1');
  const checkpoint = { origin: 'hub.example/audit', size: 7, rootHash: Buffer.alloc(32, 1) };
  const signed = signCheckpoint(checkpoint, [noteSigner(log.skey)]);
  const witnessVkey = cosignerVerifierKey(witness.skey);
  const cosign = (note: string, at = 1_765_000_000): string => {
    const [line] = parseNote(signCheckpoint(checkpoint, [cosigner(witness.skey, () => at)])).signatures;
    return addSignatures(note, [line!]);
  };

  it('publishes a type-0x04 vkey whose ID differs from the same key as a note key', () => {
    const key = parseVerifierKey(witnessVkey);
    const seedKey = parseSignerKey(witness.skey);
    expect(key.type).toBe(SIGNATURE_TYPE.cosignatureV1);
    expect(key.keyId).toBe(keyId(seedKey.name, SIGNATURE_TYPE.cosignatureV1, seedKey.publicKey));
    expect(key.keyId).not.toBe(seedKey.keyId);
    expect(codeOf(() => cosignatureVerifier(witness.vkey))).toBe('malformed-key');
    expect(codeOf(() => noteVerifier(witnessVkey))).toBe('malformed-key');
  });

  it('cosigns a signed checkpoint; the log key and the witness key each verify their own line', () => {
    const cosigned = cosign(signed);
    const both = openCheckpoint(cosigned, 'hub.example/audit', [
      noteVerifier(log.vkey),
      cosignatureVerifier(witnessVkey),
    ]);
    expect(both.note.verified.map((s) => s.name)).toEqual(['hub.example/audit', 'witness.example.org/w1']);
    expect(cosignatureTimestamp(both.note.verified[1]!)).toBe(1_765_000_000);
    const witnessOnly = openNote(cosigned, [cosignatureVerifier(witnessVkey)]);
    expect(witnessOnly.unverified.map((s) => s.name)).toEqual(['hub.example/audit']);
  });

  it('signs the timestamp: a cosignature with its time edited fails', () => {
    const line = parseNote(cosign(signed)).signatures[1]!;
    const edited = Buffer.from(line.signature);
    edited.writeBigUInt64BE(BigInt(1_765_000_001), 0);
    const note = addSignatures(signed, [{ ...line, signature: edited }]);
    expect(codeOf(() => openNote(note, [cosignatureVerifier(witnessVkey)]))).toBe('invalid-signature');
  });

  it('fails on an edited checkpoint, a moved line, a renamed witness or a note-type signature under its name', () => {
    const cosigned = cosign(signed);
    const verifiers = [cosignatureVerifier(witnessVkey)];
    expect(codeOf(() => openNote(cosigned.replace('\n7\n', '\n8\n'), verifiers))).toBe('invalid-signature');
    const [origin, size, root] = cosigned.split('\n');
    const reordered = cosigned.replace(`${origin}\n${size}\n${root}\n`, `${size}\n${origin}\n${root}\n`);
    expect(codeOf(() => openNote(reordered, verifiers))).toBe('invalid-signature');
    const renamed = cosigned.replace('\u2014 witness.example.org/w1 ', '\u2014 witness.example.org/w2 ');
    expect(codeOf(() => openNote(renamed, verifiers))).toBe('unverified-note');
    // The witness's seed used as a plain note key (type 0x01) makes a line with another key ID: not a cosignature.
    const plain = addSignatures(signed, parseNote(signCheckpoint(checkpoint, [noteSigner(witness.skey)])).signatures);
    expect(codeOf(() => openNote(plain, verifiers))).toBe('unverified-note');
  });

  it('refuses a cosignature of the wrong length and a negative or fractional time', () => {
    const verifier = cosignatureVerifier(witnessVkey);
    expect(verifier.verify(Buffer.from(signed), Buffer.alloc(64))).toBe(false);
    expect(codeOf(() => cosignatureTimestamp({ name: 'w', keyId: 1, signature: Buffer.alloc(64) }))).toBe(
      'invalid-signature',
    );
    expect(codeOf(() => cosignedMessage(-1, 'x\n'))).toBe('invalid-argument');
    expect(codeOf(() => cosign(signed, 1.5))).toBe('invalid-argument');
  });
});
