import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

// The repository's own eslint.config.js, less type-aware parsing: the snippets are linted under file names that do
// not exist, which the TypeScript project service refuses. The boundary rules need no type information.
const eslint = new ESLint({
  cwd: fileURLToPath(new URL('../..', import.meta.url)),
  overrideConfig: [tseslint.configs.disableTypeChecked],
});

/** The boundary messages ESLint gives `code` as if it were at `filePath`. */
async function refusals(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => `${message.ruleId ?? 'parse'}: ${message.message}`);
}

const SERVICE_FILE = 'services/inbox/src/x.ts';

describe('library boundaries (eslint.config.js)', () => {
  const cases = [
    { module: 'kafkajs', library: 'kafkajs', owner: 'packages/kafka/src/x.ts', via: '@hub/kafka' },
    { module: 'ioredis', library: 'ioredis', owner: 'packages/redis/src/x.ts', via: '@hub/redis' },
    { module: 'pg', library: 'pg', owner: 'packages/postgres/src/x.ts', via: '@hub/postgres' },
    { module: 'pg-protocol', library: 'pg', owner: 'packages/postgres/src/x.ts', via: '@hub/postgres' },
    { module: 'fastify', library: 'fastify', owner: 'packages/http/src/x.ts', via: '@hub/http' },
    { module: 'fastify/types/request.js', library: 'fastify', owner: 'packages/http/src/x.ts', via: '@hub/http' },
    { module: '@fastify/cors', library: 'fastify', owner: 'packages/http/src/x.ts', via: '@hub/http' },
    { module: 'node-jose', library: 'node-jose', owner: 'packages/signing/src/x.ts', via: '@hub/signing' },
    { module: 'pino', library: 'pino', owner: 'packages/logger/src/x.ts', via: '@hub/logger' },
    { module: 'pino-pretty', library: 'pino', owner: 'packages/logger/src/x.ts', via: '@hub/logger' },
    { module: 'prom-client', library: 'prom-client', owner: 'packages/metrics/src/x.ts', via: '@hub/metrics' },
    { module: '@opentelemetry/api', library: 'OpenTelemetry', owner: 'packages/tracing/src/x.ts', via: '@hub/tracing' },
    {
      module: '@opentelemetry/sdk-trace',
      library: 'OpenTelemetry',
      owner: 'packages/tracing/src/x.ts',
      via: '@hub/tracing',
    },
    { module: 'testcontainers', library: 'testcontainers', owner: 'packages/testkit/src/x.ts', via: '@hub/testkit' },
    { module: '@testcontainers/kafka', library: 'testcontainers', owner: 'test/setup/x.ts', via: '@hub/testkit' },
  ];

  it.each(cases)('refuses $module outside its owner, statically and dynamically', async ({ module, library, via }) => {
    const staticImport = `import * as lib from '${module}';\nexport const used = lib;\n`;
    const reExport = `export * from '${module}';\n`;
    const dynamicImport = `export const lib = await import('${module}');\n`;
    const belongs = `belongs to ${via}: import that package instead.`;
    expect(await refusals(staticImport, SERVICE_FILE)).toEqual([
      expect.stringMatching(new RegExp(`^no-restricted-imports: .*${belongs}$`)),
    ]);
    expect(await refusals(reExport, 'packages/auth/src/x.ts')).toEqual([
      expect.stringMatching(new RegExp(`^no-restricted-imports: .*${belongs}$`)),
    ]);
    expect(await refusals(dynamicImport, 'test/e2e/x.test.ts')).toEqual([
      `no-restricted-syntax: ${library} ${belongs}`,
    ]);
  });

  it.each(cases)('allows $module in $owner', async ({ module, owner }) => {
    expect(await refusals(`import * as lib from '${module}';\nexport const used = lib;\n`, owner)).toEqual([]);
    expect(await refusals(`export const lib = await import('${module}');\n`, owner)).toEqual([]);
  });

  it("refuses one owner another owner's library", async () => {
    expect(
      await refusals(`import { Redis } from 'ioredis';\nexport const R = Redis;\n`, 'packages/kafka/src/x.ts'),
    ).toHaveLength(1);
    expect(
      await refusals(`import { Kafka } from 'kafkajs';\nexport const K = Kafka;\n`, 'test/setup/x.ts'),
    ).toHaveLength(1);
  });

  it('makes one exception for kafkajs: the raw pipeline benchmark, which measures without @hub/kafka', async () => {
    const kafkajs = `import kafkajs from 'kafkajs';\nexport const used = kafkajs;\n`;
    expect(await refusals(kafkajs, 'test/bench/raw-pipeline.ts')).toEqual([]);
    expect(await refusals(kafkajs, 'test/bench/kafka-throughput.ts')).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*kafkajs belongs to @hub\/kafka/),
    ]);
    // The exception is kafkajs's alone: the file still reaches Redis through @hub/redis.
    expect(
      await refusals(`import { Redis } from 'ioredis';\nexport const R = Redis;\n`, 'test/bench/raw-pipeline.ts'),
    ).toHaveLength(1);
  });

  it('leaves zod and the workspace packages alone', async () => {
    const code = `import { z } from 'zod';\nimport { withLock } from '@hub/redis';\nexport const used = [z, withLock];\n`;
    expect(await refusals(code, SERVICE_FILE)).toEqual([]);
  });
});
