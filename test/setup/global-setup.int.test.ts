import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, portIsOpen, REPO_ROOT } from '@hub/infra-local';
import { afterAll, describe, expect, it } from 'vitest';

// Runs the integration project's real global setup in a child vitest (fixtures/vitest.config.ts) on ports and data
// dirs of its own, and watches it from outside: what it prints, how it exits, how long it takes, what it leaves.
const VITEST = path.join(REPO_ROOT, 'node_modules/vitest/vitest.mjs');
const CONFIG = path.join(import.meta.dirname, 'fixtures/vitest.config.ts');
const dirs: string[] = [];

// With a container runtime the setup would use containers, not infra/local; these tests are about infra/local.
const containerRuntime =
  (process.env['DOCKER_HOST'] ?? '') !== '' || ['/var/run/docker.sock', '/run/podman/podman.sock'].some(existsSync);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  // mkdtemp makes it 0700; PostgreSQL, run as the postgres account when the tests run as root, must reach inside.
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}

async function childEnv(dataDir: string, overrides: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  // Not the outer run's vitest markers, nor a broker given from outside: the child must take the infra/local path.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !key.startsWith('VITEST') &&
        !['TEST', 'KAFKA_BROKERS', 'REDIS_URL', 'POSTGRES_URL', 'NODE_OPTIONS'].includes(key),
    ),
  );
  return {
    ...env,
    LOCAL_DATA_DIR: dataDir,
    LOCAL_KAFKA_PORT: String(await freePort()),
    LOCAL_KAFKA_CONTROLLER_PORT: String(await freePort()),
    LOCAL_REDIS_PORT: String(await freePort()),
    LOCAL_POSTGRES_PORT: String(await freePort()),
    LOCAL_HUB_PORT: String(await freePort()),
    ...overrides,
  };
}

function runVitest(env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [VITEST, 'run', '--config', CONFIG],
      { cwd: REPO_ROOT, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, out: `${stdout}\n${stderr}`, ms: Date.now() - started });
      },
    );
  });
}

/**
 * Processes whose command line names `text` (the broker's does, by its log4j path, and PostgreSQL's by its -D), and
 * `ports` still listening.
 */
async function leftOver(text: string, ports: readonly number[]): Promise<string[]> {
  const processes = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(text));
  // Redis rewrites its process title to `redis-server 127.0.0.1:<port>`, so it is found by its port.
  const open = await Promise.all(ports.map((port) => portIsOpen(port)));
  return [...processes, ...ports.filter((_, index) => open[index]).map((port) => `listening on ${port}`)];
}

const portsOf = (env: NodeJS.ProcessEnv) =>
  ['LOCAL_KAFKA_PORT', 'LOCAL_KAFKA_CONTROLLER_PORT', 'LOCAL_REDIS_PORT', 'LOCAL_POSTGRES_PORT'].map((key) =>
    Number(env[key]),
  );

describe.skipIf(containerRuntime)('the integration tests global setup (infra/local)', () => {
  it(
    'fails the run at once with the cause when the stack cannot start, and leaves nothing running',
    { timeout: 240_000 },
    async () => {
      const dataDir = tempDir('hub-setup-fails-');
      // Storage formatted for another node: the broker exits during start-up, after Redis has started.
      mkdirSync(path.join(dataDir, 'kafka/data'), { recursive: true });
      writeFileSync(path.join(dataDir, 'kafka/data/meta.properties'), 'version=1\ncluster.id=\nnode.id=7\n');
      const env = await childEnv(dataDir);
      const result = await runVitest(env);
      expect(result.code).toBe(1);
      expect(result.out).toContain('the broker exited during start-up');
      expect(result.out).toContain("Stored node id 7 doesn't match previous node id 1");
      expect(result.out).not.toContain('close timed out');
      expect(result.out).not.toContain('endpoints:');
      // PostgreSQL started alongside and was stopped with the rest: its log shows both.
      expect(readFileSync(path.join(dataDir, 'postgres/postgres.log'), 'utf8')).toContain(
        'database system is shut down',
      );
      // The broker's own start-up and exit take most of this; a hang would take the old 90 s wait and more.
      expect(result.ms).toBeLessThan(75_000);
      expect(await leftOver(dataDir, portsOf(env))).toEqual([]);
    },
  );

  it(
    'moves to a private stack on free ports when another program holds a port, and removes it afterwards',
    { timeout: 240_000 },
    async () => {
      const dataDir = tempDir('hub-setup-moves-');
      const squatter = net.createServer((socket) => socket.destroy());
      const taken = await freePort();
      await new Promise<void>((resolve) => squatter.listen(taken, '127.0.0.1', resolve));
      const privateDirsBefore = new Set(readdirSync(os.tmpdir()).filter((name) => name.startsWith('hub-private')));
      try {
        const result = await runVitest(await childEnv(dataDir, { LOCAL_REDIS_PORT: String(taken) }));
        expect(result.out).toContain(`port ${taken} is taken by another program; set LOCAL_REDIS_PORT to a free port`);
        expect(result.code, result.out).toBe(0);
        const endpoints = JSON.parse(/endpoints: (.*)/.exec(result.out)?.[1] ?? 'null') as {
          redisUrl: string;
          kafkaBrokers: string[];
          postgresUrl: string;
        };
        // On the private stack too (up returns once it answers and has its hub database).
        expect(endpoints.postgresUrl).toMatch(/^postgres:\/\/hub@127\.0\.0\.1:\d+\/hub$/);
        expect(endpoints.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
        expect(endpoints.redisUrl).not.toBe(`redis://127.0.0.1:${taken}`);
        const privateDir = /private stack in (\S+)/.exec(result.out)?.[1] ?? '';
        expect(path.basename(privateDir)).toMatch(/^hub-private-stack-/);
        expect(privateDirsBefore.has(path.basename(privateDir))).toBe(false);
        expect(existsSync(privateDir)).toBe(false);
        const privatePorts = [...endpoints.kafkaBrokers, endpoints.redisUrl, endpoints.postgresUrl].map((address) =>
          Number(/:(\d+)(\/hub)?$/.exec(address)?.[1]),
        );
        expect(await leftOver(privateDir, privatePorts)).toEqual([]);
        // The data dir that was asked for is left as it was: nothing of a stack was written there.
        expect(readdirSync(dataDir)).toEqual([]);
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    },
  );
});
