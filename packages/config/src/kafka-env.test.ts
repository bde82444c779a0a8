import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, kafkaEnv, loadConfig, type EnvSource } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-kafka-env-'));
const file = (name: string) => {
  const path = join(dir, name);
  writeFileSync(path, 'not-a-real-secret-s3cr3t');
  return path;
};
const ca = file('ca.pem');
const cert = file('client.pem');
const key = file('client.key');
const password = file('password');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function problems(env: EnvSource): string[] {
  try {
    loadConfig(kafkaEnv, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.message).not.toContain(dir);
    expect(error.message).not.toContain('s3cr3t');
    return error.problems.map((p) => `${p.variable}: ${p.problem}`);
  }
  throw new Error('expected a ConfigError');
}

const sasl = {
  KAFKA_SSL: 'true',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'hub',
  KAFKA_SASL_PASSWORD_FILE: password,
};

describe('kafkaEnv durability and security', () => {
  it('defaults to the local profile and a plaintext connection', () => {
    expect(loadConfig(kafkaEnv, {})).toMatchObject({ KAFKA_DURABILITY: 'local', KAFKA_SSL: false });
  });

  it('accepts the production profile, TLS with a CA and a client certificate, and SCRAM with a password file', () => {
    const env = { ...sasl, KAFKA_DURABILITY: 'production', KAFKA_SSL_CA_FILE: ca };
    expect(loadConfig(kafkaEnv, { ...env, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key })).toMatchObject({
      KAFKA_DURABILITY: 'production',
      KAFKA_SSL: true,
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'hub',
      KAFKA_SASL_PASSWORD_FILE: password,
    });
  });

  it('refuses an unknown profile or mechanism', () => {
    expect(problems({ KAFKA_DURABILITY: 'durable' })).toEqual(['KAFKA_DURABILITY: must be one of local, production']);
    expect(problems({ ...sasl, KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_MECHANISM: must be one of scram-sha-512',
    ]);
  });

  it('refuses a certificate without its key, and a key without its certificate', () => {
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert })).toEqual([
      'KAFKA_SSL_KEY_FILE: is required with KAFKA_SSL_CERT_FILE',
    ]);
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: key })).toEqual([
      'KAFKA_SSL_CERT_FILE: is required with KAFKA_SSL_KEY_FILE',
    ]);
  });

  it('refuses TLS files while TLS is off', () => {
    expect(problems({ KAFKA_SSL_CA_FILE: ca, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key })).toEqual([
      'KAFKA_SSL_CA_FILE: is used only with KAFKA_SSL=true',
      'KAFKA_SSL_CERT_FILE: is used only with KAFKA_SSL=true',
      'KAFKA_SSL_KEY_FILE: is used only with KAFKA_SSL=true',
    ]);
  });

  it('refuses SASL without its username or password file, without TLS, and its keys without a mechanism', () => {
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toEqual([
      'KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_PASSWORD_FILE: is required with KAFKA_SASL_MECHANISM',
    ]);
    expect(problems({ ...sasl, KAFKA_SSL: 'false' })).toEqual([
      "KAFKA_SSL: must be 'true' with KAFKA_SASL_MECHANISM (SASL over TLS only)",
    ]);
    expect(problems({ KAFKA_SASL_USERNAME: 'hub', KAFKA_SASL_PASSWORD_FILE: password })).toEqual([
      'KAFKA_SASL_USERNAME: is used only with KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_PASSWORD_FILE: is used only with KAFKA_SASL_MECHANISM',
    ]);
  });

  it('refuses a password file that does not exist, without naming the path', () => {
    expect(problems({ ...sasl, KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') })).toEqual([
      'KAFKA_SASL_PASSWORD_FILE: must be the path of an existing, accessible file',
    ]);
  });

  it('keeps its rules when a service overrides one of its keys (safeExtend)', () => {
    const serviceEnv = kafkaEnv.safeExtend({ KAFKA_CLIENT_ID: kafkaEnv.shape.KAFKA_CLIENT_ID.default('svc') });
    expect(() => loadConfig(serviceEnv, { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert })).toThrow(
      'KAFKA_SSL_KEY_FILE: is required with KAFKA_SSL_CERT_FILE',
    );
  });
});
