import { describe, expect, it } from 'vitest';
import { TlogError } from './errors.ts';
import { generateSignerKey } from './keys.ts';
import {
  MAX_NOTE_SIGNATURES,
  addSignatures,
  noteSigner,
  noteVerifier,
  openNote,
  parseNote,
  signNote,
  type NoteVerifier,
} from './note.ts';

// Published notes, copied: golang.org/x/mod sumdb/note/note_test.go (commit fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db),
// TestSign and TestOpen; C2SP signed-note.md (commit 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9), "Example".
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n' +
  '\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof TlogError) return error.code;
    throw error;
  }
}

describe('signed notes (C2SP signed-note)', () => {
  const peter = noteVerifier(PETER_VKEY);
  const enoch = noteVerifier(ENOCH_VKEY);

  it('signs the Go reference text exactly as the reference implementation does (Ed25519 is deterministic)', () => {
    expect(signNote(TEXT, [noteSigner(PETER_SKEY)])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it("verifies the spec's example note with the spec's example key", () => {
    const opened = openNote(SPEC_NOTE, [noteVerifier(SPEC_VKEY)]);
    expect(opened.text).toBe('This is an example message.\n');
    expect(opened.verified.map((s) => s.name)).toEqual(['example.com/foo']);
  });

  it('keeps signatures of unknown keys apart, and needs one known key', () => {
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const one = openNote(note, [peter]);
    expect(one.text).toBe(TEXT);
    expect(one.verified.map((s) => [s.name, s.keyId])).toEqual([['PeterNeumann', 0xc74f20a3]]);
    expect(one.unverified.map((s) => [s.name, s.keyId])).toEqual([['EnochRoot', 0xaf0cfe78]]);
    const both = openNote(note, [peter, enoch]);
    expect(both.verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(codeOf(() => openNote(note, []))).toBe('unverified-note');
    expect(codeOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [peter]))).toBe('unverified-note');
  });

  it('ignores a key that shares only the name or only the ID with a known one', () => {
    const otherId = PETER_SIG.replace('x08g', 'xxxx');
    const otherName = PETER_SIG.replace('PeterNeumann', 'PeterNeuman');
    expect(codeOf(() => openNote(`${TEXT}\n${otherId}`, [peter]))).toBe('unverified-note');
    expect(codeOf(() => openNote(`${TEXT}\n${otherName}`, [peter]))).toBe('unverified-note');
    expect(openNote(`${TEXT}\n${otherName}${PETER_SIG}`, [peter]).unverified).toHaveLength(1);
  });

  it('rejects the whole note when a known key signature fails, even beside a good one', () => {
    const broken = `${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    expect(codeOf(() => openNote(`${TEXT}\n${broken}`, [peter]))).toBe('invalid-signature');
    const enochBroken = `${ENOCH_SIG.slice(0, 40)}ABCD${ENOCH_SIG.slice(40)}`;
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG}${enochBroken}`, [peter, enoch]))).toBe('invalid-signature');
  });

  it('fails on an edited byte, a reordered line or an added line of the text', () => {
    const note = `${TEXT}\n${PETER_SIG}`;
    const edited = note.replace('problem,', 'problem;');
    const [first, second] = TEXT.split('\n');
    const reordered = `${second}\n${first}\n\n${PETER_SIG}`;
    const added = `${TEXT}one more line\n\n${PETER_SIG}`;
    for (const tampered of [edited, reordered, added]) {
      expect(codeOf(() => openNote(tampered, [peter]))).toBe('invalid-signature');
    }
  });

  it('refuses malformed notes (the reference test cases and more)', () => {
    const malformed = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\u0001${TEXT}\n${PETER_SIG}`,
      `${TEXT}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n${PETER_SIG.replace('\u2014', '-')}`,
      `${TEXT}\n${PETER_SIG.replace('=\n', '\n')}`,
      `${TEXT}\n\u2014 PeterNeumann AAAA\n`,
      `${TEXT}\n${PETER_SIG.replace('\n', '\r\n')}`,
      `${TEXT}\n${PETER_SIG.repeat(MAX_NOTE_SIGNATURES + 1)}`,
      'x'.repeat(70_000),
    ];
    for (const note of malformed)
      expect(
        codeOf(() => openNote(note, [peter])),
        JSON.stringify(note),
      ).toBe('malformed-note');
    expect(
      codeOf(() => openNote(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]), [peter])),
    ).toBe('malformed-note');
    expect(openNote(Buffer.from(`${TEXT}\n${PETER_SIG}`), [peter]).text).toBe(TEXT);
  });

  it('signs with several keys, and adds a signature to a signed note keeping the first', () => {
    const a = generateSignerKey('a.example/log');
    const b = generateSignerKey('b.example/log');
    const text = 'line one\n\nline three after an empty line\n';
    const once = signNote(text, [noteSigner(a.skey)]);
    const [added] = parseNote(signNote(text, [noteSigner(b.skey)])).signatures;
    const twice = addSignatures(once, [added!]);
    const opened = openNote(twice, [noteVerifier(a.vkey), noteVerifier(b.vkey)]);
    expect(opened.text).toBe(text);
    expect(opened.verified.map((s) => s.name)).toEqual(['a.example/log', 'b.example/log']);
    expect(codeOf(() => signNote('no final newline', [noteSigner(a.skey)]))).toBe('malformed-note');
  });

  it('refuses a verifier list naming the same key twice', () => {
    const twice: NoteVerifier[] = [peter, noteVerifier(PETER_VKEY)];
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG}`, twice))).toBe('ambiguous-key');
  });

  it('never echoes the note or the key name in an error', () => {
    const secret = 'Jane Doe 943 476 5919';
    for (const note of [
      `${secret}\n\n\u2014 ${secret.replaceAll(' ', '_')} AAAA\n`,
      `${secret}\u0001\n\n${PETER_SIG}`,
    ]) {
      try {
        openNote(note, [peter]);
        expect.unreachable();
      } catch (error) {
        expect(String(error)).not.toMatch(/Jane|943/);
      }
    }
  });
});
