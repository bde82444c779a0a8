import { inject } from 'vitest';

/** Where the integration tests' real Kafka broker, Redis and PostgreSQL are, and who provides them. */
export interface TestEndpoints {
  readonly kafkaBrokers: string[];
  readonly redisUrl: string;
  /** A database the tests may create schemas in; each test works in its own schema. */
  readonly postgresUrl: string;
  readonly source: 'environment' | 'testcontainers' | 'infra-local';
}

declare module 'vitest' {
  export interface ProvidedContext {
    hubEndpoints: TestEndpoints;
  }
}

/** The endpoints the integration project's global setup found or started. Only valid inside integration tests. */
export function testEndpoints(): TestEndpoints {
  const endpoints = inject('hubEndpoints');
  // `inject` returns undefined in a project without the global setup, i.e. a unit test that reached for I/O.
  if ((endpoints as TestEndpoints | undefined) === undefined) {
    throw new Error('testEndpoints() is only for *.int.test.ts files (the integration project)');
  }
  return endpoints;
}
