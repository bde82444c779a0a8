import { execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads a pid file (the pid, then the addresses the process was started on); undefined when missing, unreadable,
 * or naming a process that is gone.
 */
export function runningPid(pidFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]?.trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** The addresses a pid file says its process was started on; undefined when it does not say. */
export function startedOn(pidFile: string): string | undefined {
  try {
    const line = readFileSync(pidFile, 'utf8').split('\n')[1]?.trim();
    return line === '' ? undefined : line;
  } catch {
    return undefined;
  }
}

export interface StopSignals {
  /** What asks for a clean shutdown; default SIGTERM. */
  readonly stop?: NodeJS.Signals;
  /** What ends it when it has not stopped after the grace period; default SIGKILL. */
  readonly force?: NodeJS.Signals;
}

/** `stop` (SIGTERM), then wait for a clean exit; `force` (SIGKILL) only after `graceMs`. Removes the pid file. */
export async function stopProcess(
  pidFile: string,
  graceMs: number,
  signals: StopSignals = {},
): Promise<'stopped' | 'not-running'> {
  const pid = runningPid(pidFile);
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    return 'not-running';
  }
  process.kill(pid, signals.stop ?? 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && runningPid(pidFile) !== undefined) await sleep(200);
  if (runningPid(pidFile) !== undefined) process.kill(pid, signals.force ?? 'SIGKILL');
  rmSync(pidFile, { force: true });
  return 'stopped';
}

/** Another account to run a command as (only root can); undefined runs it as ourselves. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Starts a server process that outlives this one: its own process group, stdout and stderr appended to `logFile`,
 * its pid written to `pidFile` at once (so whoever started it can always stop it), with the `addresses` it listens
 * on, as `user` when given. Returns the pid.
 */
export function spawnDetached(
  command: string,
  args: readonly string[],
  files: { readonly pidFile: string; readonly logFile: string },
  addresses: string,
  user?: RunAs,
): number {
  const out = openSync(files.logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], ...runAs(user) });
    // A command that cannot run (ENOENT) reports it as an event; without a listener that would crash this process.
    child.once('error', () => undefined);
    if (child.pid === undefined) throw new Error(`${command} could not be started`);
    writeFileSync(files.pidFile, `${child.pid}\n${addresses}\n`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portIsOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

/** A port on 127.0.0.1 that was free a moment ago (the OS's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('the OS gave no port'));
      });
    });
  });
}

export interface WaitOptions {
  /** Returns a reason to stop waiting early (e.g. the process being waited for has exited). */
  readonly giveUp?: () => string | undefined;
  /** Stops the wait (with an AbortError) when another part of the start has failed. */
  readonly signal?: AbortSignal | undefined;
}

/** Polls `probe` until it answers true; throws after `timeoutMs`, on `giveUp`'s reason, or when `signal` aborts. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  options: WaitOptions = {},
): Promise<void> {
  const { giveUp = () => undefined, signal } = options;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (await probe().catch(() => false)) return;
    const reason = giveUp();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    await sleep(250, undefined, { signal });
  }
  throw new Error(`${what} was not ready within ${Math.round(timeoutMs / 1000)} s`);
}

export interface RunOptions {
  /** Names the command in a failure message instead of its whole command line (e.g. a long java class path). */
  readonly what?: string;
  /** Kills the command when aborted. */
  readonly signal?: AbortSignal | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly user?: RunAs | undefined;
}

/** spawn's options for running as `user`, from `/` (its own home may be out of reach for the user it runs as). */
function runAs(user: RunAs | undefined): { uid?: number; gid?: number; cwd?: string } {
  return user === undefined ? {} : { uid: user.uid, gid: user.gid, cwd: '/' };
}

/** Runs a command to completion without blocking the event loop; throws with its output's tail when it fails. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const what = options.what ?? `${command} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
        signal: options.signal,
        env: options.env ?? process.env,
        ...runAs(options.user),
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(`${stdout}${stderr}`);
        } else if (error.name === 'AbortError') {
          reject(Object.assign(new Error(`${what} was stopped`), { name: 'AbortError' }));
        } else if (typeof error.code !== 'number') {
          const why = error.signal == null ? error.message : `killed by ${error.signal}`;
          reject(new Error(`${what} could not run: ${why}`));
        } else {
          const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n');
          reject(new Error(`${what} failed (exit ${error.code}):\n${tail}`));
        }
      },
    );
  });
}

/**
 * A server's own account of why it stopped: from the last ERROR or FATAL line near the end of its log (the line a
 * stack trace follows), else the last lines; at most `lines` lines.
 */
export function logTail(file: string, lines = 8): string {
  let tail: string[];
  try {
    tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-60);
  } catch {
    return '(no log)';
  }
  const lastError = tail.findLastIndex((line) => /\b(ERROR|FATAL)\b/.test(line));
  const from = lastError === -1 ? Math.max(0, tail.length - lines) : lastError;
  const text = tail.slice(from, from + lines).join('\n');
  return text === '' ? '(empty)' : text;
}

/** True when `command` is on PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}
