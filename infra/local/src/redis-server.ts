import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { LocalStackSettings } from './settings.ts';
import { hasCommand, portIsOpen, run, runningPid, stopProcess, waitFor } from './processes.ts';

/**
 * A private Redis (Debian's redis-server) on loopback, separate from any system Redis. Append-only with
 * fsync every second, so the views survive a restart (they can always be rebuilt from Kafka anyway).
 */
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 10_000;

export function redisPaths(settings: LocalStackSettings) {
  const home = path.join(settings.dataDir, 'redis');
  return { home, pidFile: path.join(home, 'redis.pid'), logFile: path.join(home, 'redis.log') } as const;
}

export function redisUrl(settings: LocalStackSettings): string {
  return `redis://127.0.0.1:${settings.redisPort}`;
}

/** Installs Debian's redis-server when it is missing and we are root; otherwise says what to install. */
export function ensureRedisInstalled(): void {
  if (hasCommand('redis-server')) return;
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) {
    throw new Error('redis-server is missing; install it (Debian: apt-get install -y redis-server)');
  }
  process.stderr.write('infra/local: installing redis-server with apt-get\n');
  run('apt-get', ['update', '-qq']);
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (install.status !== 0 || !hasCommand('redis-server')) {
    throw new Error(
      `apt-get could not install redis-server:\n${install.stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  }
}

export async function startRedis(
  settings: LocalStackSettings,
  isReady: () => Promise<boolean>,
): Promise<'started' | 'already-running'> {
  const paths = redisPaths(settings);
  if (runningPid(paths.pidFile) !== undefined) {
    await waitFor(`Redis at ${redisUrl(settings)}`, isReady, READY_TIMEOUT_MS);
    return 'already-running';
  }
  if (await portIsOpen(settings.redisPort)) {
    throw new Error(`port ${settings.redisPort} is taken by another program; set LOCAL_REDIS_PORT`);
  }
  ensureRedisInstalled();
  mkdirSync(paths.home, { recursive: true });
  run('redis-server', [
    '--bind',
    '127.0.0.1',
    '--port',
    String(settings.redisPort),
    '--protected-mode',
    'yes',
    '--dir',
    paths.home,
    '--daemonize',
    'yes',
    '--pidfile',
    paths.pidFile,
    '--logfile',
    paths.logFile,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
  ]);
  await waitFor(`Redis at ${redisUrl(settings)}`, isReady, READY_TIMEOUT_MS);
  return 'started';
}

export function stopRedis(settings: LocalStackSettings): Promise<'stopped' | 'not-running'> {
  return stopProcess(redisPaths(settings).pidFile, STOP_GRACE_MS);
}

export function redisPid(settings: LocalStackSettings): number | undefined {
  return runningPid(redisPaths(settings).pidFile);
}
