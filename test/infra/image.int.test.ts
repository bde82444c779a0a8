import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubProcess, type HubProcess } from '../e2e/hub-process.ts';
import { copyBuildContext } from './docker-context.ts';
import { collectSelector, isDevelopmentPackage } from './dockerfile-rules.ts';

// The Dockerfile's build stage without Docker: the build context (by .dockerignore) copied to a temp dir, the
// stage's own command (infra/image/collect.sh, with the Dockerfile's selector) run in it, and the hub started from
// the result exactly as the runtime stage starts it (`node main.ts` from its root). This is what shows the
// production closure is enough to run the hub: a dependency the hub uses but declares only for development would
// be missing here, and the hub would not start.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SELECTOR = collectSelector(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'), 'build');
/** The package a directory of node_modules/.pnpm holds: `@scope+name@1.2.3_peer@4` is `@scope/name`. */
function storedPackage(directory: string): string {
  return directory.slice(0, directory.indexOf('@', 1)).replace('+', '/');
}

describe("the image's build stage, run without Docker", () => {
  const scratch = mkdtempSync(join(tmpdir(), 'hub-image-'));
  const context = join(scratch, 'context');
  const app = join(scratch, 'app');
  let hub: HubProcess | undefined;

  beforeAll(() => {
    copyBuildContext(ROOT, context);
    // Offline from this machine's pnpm store, which the workspace install filled (the Dockerfile's `pnpm fetch`).
    const store = execFileSync('pnpm', ['store', 'path'], { cwd: ROOT, encoding: 'utf8' }).trim();
    execFileSync('sh', ['infra/image/collect.sh', app, SELECTOR], {
      cwd: context,
      env: { ...process.env, CI: 'true', PNPM_STORE_DIR: store },
      stdio: 'pipe',
    });
    symlinkSync('services/hub/src/main.ts', join(app, 'main.ts'));
  }, 180_000);

  afterAll(async () => {
    await hub?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('installs no development tool, and no tests', () => {
    const stored = readdirSync(join(app, 'node_modules/.pnpm'))
      .filter((directory) => directory.includes('@', 1))
      .map(storedPackage);
    expect(stored).toEqual(expect.arrayContaining(['fastify', 'kafkajs', '@fastify/ajv-compiler']));
    expect(stored.filter(isDevelopmentPackage)).toEqual([]);
    const files = readdirSync(app, { recursive: true, encoding: 'utf8' });
    expect(files.filter((file) => file.endsWith('.test.ts') && !file.includes('node_modules'))).toEqual([]);
  }, 180_000);

  it('runs the hub: ready, tokens, an authenticated call, a clean stop on SIGTERM', async () => {
    const endpoints = testEndpoints();
    hub = await createHubProcess({
      kafkaBrokers: endpoints.kafkaBrokers,
      redisUrl: endpoints.redisUrl,
      postgresUrl: endpoints.postgresUrl,
      main: { file: join(app, 'main.ts'), cwd: app },
    });
    await hub.start(90_000);
    const inbox = await hub.call('gpVictim', '/v1/inboxes/gp:L85901/notifications');
    expect(inbox.status).toBe(200);
    await hub.stop();
    expect(hub.output()).toMatch(/--- exit code=0 signal=null/);
  }, 120_000);
});
