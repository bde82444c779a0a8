import { describe, expect, it } from 'vitest';
import {
  SIGNATURE_TYPE,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  isValidKeyName,
  keyId,
  parseSignerKey,
  parseVerifierKey,
} from './keys.ts';

// Published keys, copied: golang.org/x/mod sumdb/note/note_test.go (commit fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db):
// PeterNeumann (skey and vkey), EnochRoot (vkey); C2SP signed-note.md "Verifier keys" example (commit
// 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9): example.com/foo; transparency-dev/formats note/note_cosigv1_test.go
// (commit 0b850f1a7b4a5b70deeacac6535e4b8023809d21): remora.n621.de, a native cosignature (0x04) vkey.
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';

describe('verifier and signer keys (C2SP signed-note)', () => {
  it('reads the published vkeys, whose key IDs are SHA-256(name || 0x0A || type || key)[:4]', () => {
    for (const [vkey, name, id, type] of [
      [PETER_VKEY, 'PeterNeumann', 0xc74f20a3, SIGNATURE_TYPE.ed25519],
      [ENOCH_VKEY, 'EnochRoot', 0xaf0cfe78, SIGNATURE_TYPE.ed25519],
      [SPEC_VKEY, 'example.com/foo', 0x530d903a, SIGNATURE_TYPE.ed25519],
      [REMORA_VKEY, 'remora.n621.de', 0xda77ade7, SIGNATURE_TYPE.cosignatureV1],
    ] as const) {
      const key = parseVerifierKey(vkey);
      expect(key).toMatchObject({ name, keyId: id, type });
      expect(keyId(name, type, key.publicKey)).toBe(id);
      expect(formatVerifierKey(name, type, key.publicKey)).toBe(vkey);
    }
  });

  it('reads the published skey, derives its public key and writes both back byte for byte', () => {
    const key = parseSignerKey(PETER_SKEY);
    expect(key.name).toBe('PeterNeumann');
    expect(key.keyId).toBe(0xc74f20a3);
    expect(formatVerifierKey(key.name, key.type, key.publicKey)).toBe(PETER_VKEY);
    expect(formatSignerKey(key.name, key.seed)).toBe(PETER_SKEY);
  });

  it('refuses every truncation and every one-character change of a vkey (as the Go reference test does)', () => {
    for (let i = 0; i <= PETER_VKEY.length; i += 1) {
      for (let j = i + 1; j <= PETER_VKEY.length; j += 1) {
        if (i === 0 && j === PETER_VKEY.length) continue;
        expect(() => parseVerifierKey(PETER_VKEY.slice(i, j)), PETER_VKEY.slice(i, j)).toThrow(/malformed-key/);
      }
    }
    for (let i = 0; i < PETER_VKEY.length; i += 1) {
      const changed =
        PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1);
      expect(() => parseVerifierKey(changed), changed).toThrow(/malformed-key/);
    }
    // From the Go test: a wrong-length key and an unknown algorithm, each with a matching key ID.
    expect(() =>
      parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='),
    ).toThrow(/malformed-key/);
    expect(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(
      /malformed-key/,
    );
  });

  it('refuses every one-character change of an skey', () => {
    for (let i = 0; i < PETER_SKEY.length; i += 1) {
      const changed =
        PETER_SKEY.slice(0, i) + String.fromCharCode(PETER_SKEY.charCodeAt(i) + 1) + PETER_SKEY.slice(i + 1);
      expect(() => parseSignerKey(changed), changed).toThrow(/malformed-key/);
    }
    expect(() => parseSignerKey(PETER_VKEY)).toThrow(/malformed-key/);
  });

  it('generates keys that read back and agree with each other', () => {
    const { skey, vkey } = generateSignerKey('hub.example/audit');
    const signer = parseSignerKey(skey);
    const verifier = parseVerifierKey(vkey);
    expect(verifier.publicKey.equals(signer.publicKey)).toBe(true);
    expect(verifier.keyId).toBe(signer.keyId);
  });

  it('accepts key names without spaces or plus, and only those', () => {
    expect(isValidKeyName('example.com/log42')).toBe(true);
    for (const name of ['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u2003b', 'a\u0085b', 'a\nb', 'x'.repeat(257)]) {
      expect(isValidKeyName(name), JSON.stringify(name)).toBe(false);
    }
    expect(() => generateSignerKey('two words')).toThrow(/malformed-key/);
  });
});
