import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaSecurityError, kafkajsSecurityOptions, kafkaSecurityOf } from './connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-kafka-security-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleQ==\n-----END PRIVATE KEY-----\n';
const ca = file('ca.pem', CA);
const cert = file('client.pem', CERT);
const key = file('client.key', KEY);
const password = file('password', 'pa55-word-s3cr3t\n');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The error, checked to hold neither a path nor anything the files hold. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaSecurityError);
    const message = (error as Error).message;
    for (const secret of [dir, 's3cr3t', 'c2VjcmV0LWtleQ', 'Y2xpZW50']) expect(message).not.toContain(secret);
    return message;
  }
  throw new Error('expected a KafkaSecurityError');
}

describe('kafkajsSecurityOptions', () => {
  it('gives kafkajs nothing without security (plaintext)', () => {
    expect(kafkajsSecurityOptions(undefined)).toEqual({});
    expect(kafkajsSecurityOptions({})).toEqual({});
  });

  it("trusts Node's CAs when TLS has no CA file", () => {
    expect(kafkajsSecurityOptions({ tls: {} })).toEqual({ ssl: true });
  });

  it('reads the CA, the client certificate and key, and the SCRAM password (without its trailing newline)', () => {
    expect(
      kafkajsSecurityOptions({
        tls: { caFile: ca, certFile: cert, keyFile: key },
        sasl: { mechanism: 'scram-sha-512', username: 'hub', passwordFile: password },
      }),
    ).toEqual({
      ssl: { ca: [CA], cert: CERT, key: KEY },
      sasl: { mechanism: 'scram-sha-512', username: 'hub', password: 'pa55-word-s3cr3t' },
    });
  });

  it('refuses a certificate without its key and a key without its certificate', () => {
    expect(refusal(() => kafkajsSecurityOptions({ tls: { certFile: cert } }))).toMatch(/needs its key/);
    expect(refusal(() => kafkajsSecurityOptions({ tls: { keyFile: key } }))).toMatch(/needs its key/);
  });

  it('refuses SASL without TLS', () => {
    const sasl = { mechanism: 'scram-sha-512', username: 'hub', passwordFile: password } as const;
    expect(refusal(() => kafkajsSecurityOptions({ sasl }))).toMatch(/SASL needs TLS/);
  });

  it('refuses files that do not hold what they should, naming the setting only', () => {
    expect(refusal(() => kafkajsSecurityOptions({ tls: { caFile: key } }))).toBe(
      'the TLS CA file (KAFKA_SSL_CA_FILE) holds no PEM certificate',
    );
    expect(refusal(() => kafkajsSecurityOptions({ tls: { certFile: key, keyFile: key } }))).toMatch(
      /client certificate \(KAFKA_SSL_CERT_FILE\) holds no PEM certificate/,
    );
    expect(refusal(() => kafkajsSecurityOptions({ tls: { certFile: cert, keyFile: cert } }))).toMatch(
      /KAFKA_SSL_KEY_FILE\) holds no unencrypted PEM private key/,
    );
    const empty = file('empty', '\n');
    const sasl = { mechanism: 'scram-sha-512', username: 'hub', passwordFile: empty } as const;
    expect(refusal(() => kafkajsSecurityOptions({ tls: {}, sasl }))).toBe(
      'the SASL password file (KAFKA_SASL_PASSWORD_FILE) is empty',
    );
  });

  it('refuses a file that cannot be read with its error code, not its path', () => {
    expect(refusal(() => kafkajsSecurityOptions({ tls: { caFile: join(dir, 'gone.pem') } }))).toBe(
      'the TLS CA file (KAFKA_SSL_CA_FILE) cannot be read: ENOENT',
    );
  });
});

describe('kafkaSecurityOf', () => {
  it('maps the loaded configuration: TLS only when KAFKA_SSL, SASL only with its mechanism', () => {
    expect(kafkaSecurityOf({ KAFKA_SSL: false })).toEqual({ tls: undefined, sasl: undefined });
    expect(
      kafkaSecurityOf({
        KAFKA_SSL: true,
        KAFKA_SSL_CA_FILE: ca,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'hub',
        KAFKA_SASL_PASSWORD_FILE: password,
      }),
    ).toEqual({
      tls: { caFile: ca, certFile: undefined, keyFile: undefined },
      sasl: { mechanism: 'scram-sha-512', username: 'hub', passwordFile: password },
    });
  });
});
