import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { localAddresses, type LocalStackSettings } from './settings.ts';
import { hasCommand, logTail, run, runningPid, spawnDetached, stopProcess, waitFor } from './processes.ts';
import type { StartResult } from './kafka-broker.ts';

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

/** Installs Debian's redis-server when it is missing and we are root; otherwise says what to install. */
export async function ensureRedisInstalled(): Promise<void> {
  if (hasCommand('redis-server')) return;
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) {
    throw new Error('redis-server is missing; install it (Debian: apt-get install -y redis-server)');
  }
  process.stderr.write('infra/local: installing redis-server with apt-get\n');
  await run('apt-get', ['update', '-qq']);
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], {
    what: 'apt-get install redis-server',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!hasCommand('redis-server')) throw new Error('apt-get installed redis-server, but it is not on PATH');
}

/**
 * Starts Redis unless ours is already running, and waits until `isReady` answers. A Redis this call started and
 * that then fails (exits, never answers, or `signal` aborts) is stopped before the error is thrown. It runs in the
 * foreground of its own process group rather than daemonized, so its pid is known at once and an exit during
 * start-up (a bad data file, a port taken meanwhile) is seen at once.
 */
export async function startRedis(
  settings: LocalStackSettings,
  isReady: () => Promise<boolean>,
  signal?: AbortSignal,
): Promise<StartResult> {
  const paths = redisPaths(settings);
  const what = `Redis at ${localAddresses(settings).redisUrl}`;
  if (runningPid(paths.pidFile) !== undefined) {
    await waitFor(what, isReady, READY_TIMEOUT_MS, { signal });
    return 'already-running';
  }
  await ensureRedisInstalled();
  signal?.throwIfAborted();
  mkdirSync(paths.home, { recursive: true });
  // Logs go to stdout, which spawnDetached appends to the log file.
  const args = ['--bind', '127.0.0.1', '--port', String(settings.redisPort), '--protected-mode', 'yes'];
  args.push('--dir', paths.home, '--daemonize', 'no', '--appendonly', 'yes', '--appendfsync', 'everysec');
  spawnDetached('redis-server', [...args, '--save', ''], paths, localAddresses(settings).redisUrl);
  try {
    await waitFor(what, isReady, READY_TIMEOUT_MS, {
      signal,
      giveUp: () =>
        runningPid(paths.pidFile) === undefined
          ? `redis-server exited during start-up; the end of ${paths.logFile}:\n${logTail(paths.logFile)}`
          : undefined,
    });
  } catch (error) {
    await stopRedis(settings);
    throw error;
  }
  return 'started';
}

export function stopRedis(settings: LocalStackSettings): Promise<'stopped' | 'not-running'> {
  return stopProcess(redisPaths(settings).pidFile, STOP_GRACE_MS);
}

export function redisPid(settings: LocalStackSettings): number | undefined {
  return runningPid(redisPaths(settings).pidFile);
}
