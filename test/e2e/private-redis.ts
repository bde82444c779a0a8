/*
 * A redis-server of the test's own (the binary infra/local runs, found on PATH the same way), on a free loopback
 * port with its data in a temp dir: a test may kill it and start it again on an empty data dir, which the shared
 * Redis must never be put through. Append-only as infra/local runs it, RDB snapshots off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureRedisInstalled, freePort } from '@hub/infra-local';
import { captureLogs } from '@hub/testkit';
import { closeRedis, createRedis, pingRedis } from '@hub/redis';

const READY_TIMEOUT_MS = 20_000;
const OUTPUT_LINES = 50;

export interface PrivateRedis {
  readonly url: string;
  /** SIGKILLs the server (as a crash), then starts a new one on the same port on an empty data dir. */
  restartEmpty(downForMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  await ensureRedisInstalled();
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dirs: string[] = [];
  const output: string[] = [];
  let server: { child: ChildProcess; exited: Promise<unknown> } | undefined;
  // If the runner dies without stopping us, the server must not outlive it.
  const killOnExit = () => server?.child.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function start(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'hub-test-redis-'));
    dirs.push(dir);
    const args = ['--bind', '127.0.0.1', '--port', String(port), '--protected-mode', 'yes', '--daemonize', 'no'];
    args.push('--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '');
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        output.splice(0, Math.max(0, output.length - OUTPUT_LINES));
      });
    }
    server = { child, exited: once(child, 'exit') };
    const probe = createRedis({
      url,
      keyPrefix: '',
      connectionName: 'test-private-redis',
      logger: captureLogs().logger,
    });
    try {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`redis-server exited at start:\n${output.join('\n')}`);
        try {
          await pingRedis(probe, 500);
          return;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(100);
        }
      }
    } finally {
      await closeRedis(probe).catch(() => undefined);
    }
  }

  async function kill(): Promise<void> {
    if (server === undefined) return;
    const { child, exited } = server;
    server = undefined;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    url,
    async restartEmpty(downForMs = 1_000) {
      await kill();
      await sleep(downForMs);
      await start();
    },
    async stop() {
      await kill();
      process.off('exit', killOnExit);
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}
