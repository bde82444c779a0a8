/*
 * What every test that runs a hub process needs before it starts: a temp dir with the client registry (test clients
 * holding their own key pairs) and the hub's signing-key file, an isolated topic namespace, Redis key prefix and
 * PostgreSQL schema, and the configuration that points at them. Tests only: `@hub/runtime/testing`.
 */
import { join } from 'node:path';
import { createTempDir, writeClientRegistry, type TestClient } from '@hub/auth/testing';
import { dropTestSchemas } from '@hub/postgres/testing';
import { isolatedPostgresSchema, isolatedRedisPrefix, isolatedTopicNamespace, testEndpoints } from '@hub/testkit';
import { loadHubConfig, type HubConfig } from './config.ts';

/**
 * The token URL test deployments use. It must be known before the port is (a client assertion's `aud` is this
 * URL), so tests pin `aud` to it and post to whatever port the process got.
 */
export const TEST_TOKEN_URL = 'http://hub.test/oauth2/token';

/**
 * What another instance of the same deployment shares: its topics, Redis keys, PostgreSQL schema, client registry and
 * signing keys.
 */
export interface TestDeployment {
  readonly namespace: string;
  readonly redisPrefix: string;
  readonly postgresSchema: string;
  readonly files: { readonly clientRegistry: string; readonly signingKeys: string };
}

export interface PreparedTestDeployment extends TestDeployment {
  readonly config: HubConfig;
  /**
   * Removes the temp dir and drops the PostgreSQL schema and its views' generation schemas (a `joining` deployment's
   * files and schema belong to the one it joined).
   */
  remove(): Promise<void>;
}

export interface TestDeploymentOptions {
  /** Registered in a fresh client registry; ignored when `joining` (its registry is used). */
  readonly clients: readonly TestClient[];
  /** Configuration keys over the test defaults (e.g. `KAFKA_INSTANCE_NAME`, `REDIS_URL`, `POSTGRES_SCHEMA`). */
  readonly env?: Readonly<Record<string, string>>;
  readonly joining?: TestDeployment;
}

export async function prepareTestDeployment(options: TestDeploymentOptions): Promise<PreparedTestDeployment> {
  const endpoints = testEndpoints();
  const dir = await createTempDir();
  const { joining } = options;
  const files = joining?.files ?? {
    clientRegistry: await writeClientRegistry(dir.path, options.clients),
    signingKeys: join(dir.path, 'hub-signing-keys.json'),
  };
  const namespace = joining?.namespace ?? isolatedTopicNamespace();
  const redisPrefix = joining?.redisPrefix ?? isolatedRedisPrefix();
  const postgresSchema = joining?.postgresSchema ?? isolatedPostgresSchema();
  const config = loadHubConfig({
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    KAFKA_TOPIC_NAMESPACE: namespace,
    REDIS_URL: endpoints.redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    POSTGRES_URL: endpoints.postgresUrl,
    POSTGRES_SCHEMA: postgresSchema,
    HTTP_PORT: '0',
    HUB_CLIENTS_FILE: files.clientRegistry,
    HUB_SIGNING_KEYS_FILE: files.signingKeys,
    HUB_SIGNING_KEYS_GENERATE: 'true',
    HUB_TOKEN_URL: TEST_TOKEN_URL,
    ...options.env,
  });
  return {
    namespace,
    redisPrefix,
    postgresSchema,
    files,
    config,
    async remove() {
      await dir.remove();
      // Its own schema only: not one it joined, nor one a test named in `env`.
      if (joining === undefined && config.POSTGRES_SCHEMA === postgresSchema) {
        await dropTestSchemas(config.POSTGRES_URL, postgresSchema);
      }
    },
  };
}
