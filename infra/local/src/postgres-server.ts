import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PostgresQueryError, type Postgres } from '@hub/postgres';
import { localAddresses, type LocalStackSettings } from './settings.ts';
import type { StartResult } from './kafka-broker.ts';
import { logTail, run, runningPid, spawnDetached, stopProcess, waitFor, type RunAs } from './processes.ts';

/**
 * A private PostgreSQL cluster (Debian's server binaries) on loopback, separate from any system PostgreSQL: its own
 * data dir, port and socket dir under <dataDir>/postgres, trust auth, listening on 127.0.0.1 only. The bootstrap
 * superuser is `postgres`; clients use the `hub` role, which owns the `hub` database (both created on first start).
 */
const READY_TIMEOUT_MS = 30_000;
/** Fast shutdown (SIGINT) ends sessions and checkpoints; an immediate one (SIGQUIT) only when that hangs. */
const STOP_GRACE_MS = 30_000;
const DEBIAN_BIN_ROOT = '/usr/lib/postgresql';
const SERVER_ACCOUNT = 'postgres';

export function postgresPaths(settings: LocalStackSettings) {
  const home = path.join(settings.dataDir, 'postgres');
  return {
    home,
    data: path.join(home, 'data'),
    socketDir: path.join(home, 'socket'),
    pidFile: path.join(home, 'postgres.pid'),
    logFile: path.join(home, 'postgres.log'),
  } as const;
}

/** The bootstrap superuser's connection, for creating the `hub` role and database. */
export function postgresAdminUrl(settings: LocalStackSettings): string {
  return `postgres://${SERVER_ACCOUNT}@127.0.0.1:${settings.postgresPort}/postgres`;
}

/**
 * Debian's server binaries, `/usr/lib/postgresql/<version>/bin`: the version the cluster was made with when it
 * exists (a newer major refuses an older cluster's files), else the newest installed; undefined when none is.
 */
export function findPostgresBin(dataDir: string): string | undefined {
  const has = (version: string) => existsSync(path.join(DEBIAN_BIN_ROOT, version, 'bin', 'initdb'));
  const clusterVersion = readIfExists(path.join(dataDir, 'PG_VERSION'))?.trim();
  if (clusterVersion !== undefined && has(clusterVersion)) return path.join(DEBIAN_BIN_ROOT, clusterVersion, 'bin');
  const versions = existsSync(DEBIAN_BIN_ROOT)
    ? readdirSync(DEBIAN_BIN_ROOT)
        .filter((name) => /^\d+$/.test(name) && has(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions[0] === undefined ? undefined : path.join(DEBIAN_BIN_ROOT, versions[0], 'bin');
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Installs Debian's `postgresql` when no server is found and we are root; otherwise says what to install. */
export async function ensurePostgresInstalled(dataDir: string): Promise<string> {
  const found = findPostgresBin(dataDir);
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0) {
    throw new Error('PostgreSQL is missing (no initdb under /usr/lib/postgresql/*/bin); apt-get install -y postgresql');
  }
  process.stderr.write('infra/local: installing postgresql with apt-get\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], {
    what: 'apt-get install postgresql',
    env,
  });
  const installed = findPostgresBin(dataDir);
  if (installed === undefined)
    throw new Error(`apt-get installed postgresql, but no initdb is under ${DEBIAN_BIN_ROOT}`);
  return installed;
}

/**
 * Who runs the server. PostgreSQL refuses to run as root, so as root it is the `postgres` account (Debian's package
 * creates it); anyone else runs it as themselves (undefined).
 */
export function serverAccount(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, SERVER_ACCOUNT], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no postgres account to run it as ' +
        '(Debian: apt-get install -y postgresql creates it), or run ./hub as another user',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The account can write its dir: a parent dir closed to others (a root-only temp or home dir) stops initdb. */
function checkReachable(dir: string, account: RunAs): void {
  if (spawnSync('test', ['-w', dir], { uid: account.uid, gid: account.gid, cwd: '/' }).status === 0) return;
  throw new Error(
    `PostgreSQL runs as the ${SERVER_ACCOUNT} account, which cannot reach ${dir}: make its parent dirs searchable ` +
      '(chmod o+x) or set LOCAL_DATA_DIR to a dir it can reach',
  );
}

/** The server's settings, as command-line options: nothing depends on a postgresql.conf someone edited. */
function serverArgs(settings: LocalStackSettings, paths: ReturnType<typeof postgresPaths>): string[] {
  return [
    ...['-D', paths.data, '-p', String(settings.postgresPort), '-h', '127.0.0.1', '-k', paths.socketDir],
    // Many test files, each with its own pool, share one server.
    ...['-c', 'max_connections=200'],
    // The server log never shows a statement, a DETAIL (a row's values) or a bind parameter.
    ...['-c', 'log_error_verbosity=terse', '-c', 'log_min_error_statement=panic'],
    ...['-c', 'log_parameter_max_length=0', '-c', 'log_parameter_max_length_on_error=0'],
  ];
}

/**
 * Starts PostgreSQL unless ours is already running, waits until `admin` answers, and creates the `hub` role and
 * database when missing (every time, so a cluster made by an interrupted first start is completed). A server this
 * call started and that then fails (exits, never answers, or `signal` aborts) is stopped before the error is thrown.
 * The cluster is made once (initdb) in <dataDir>/postgres/data; it runs in the foreground of its own process group
 * like Redis, so an exit during start-up (a bad data dir, a port taken meanwhile) is seen at once.
 */
export async function startPostgres(
  settings: LocalStackSettings,
  admin: Postgres,
  signal?: AbortSignal,
): Promise<StartResult> {
  const paths = postgresPaths(settings);
  const what = `PostgreSQL at 127.0.0.1:${settings.postgresPort}`;
  const answers = () => admin.ping(2_000).then(() => true);
  if (runningPid(paths.pidFile) !== undefined) {
    await waitFor(what, answers, READY_TIMEOUT_MS, { signal });
    await ensureHubDatabase(admin);
    return 'already-running';
  }
  const bin = await ensurePostgresInstalled(paths.data);
  const account = serverAccount();
  signal?.throwIfAborted();
  for (const dir of [paths.home, paths.socketDir]) {
    mkdirSync(dir, { recursive: true });
    if (account !== undefined) chownSync(dir, account.uid, account.gid);
  }
  chmodSync(paths.socketDir, 0o700);
  if (account !== undefined) checkReachable(paths.home, account);
  if (!existsSync(path.join(paths.data, 'PG_VERSION'))) {
    const initdb = ['-D', paths.data, '-U', SERVER_ACCOUNT, '--auth=trust', '-E', 'UTF8', '--locale=C'];
    await run(path.join(bin, 'initdb'), initdb, { what: 'initdb', user: account, signal });
  }
  signal?.throwIfAborted();
  spawnDetached(path.join(bin, 'postgres'), serverArgs(settings, paths), paths, postgresAddress(settings), account);
  try {
    await waitFor(what, answers, READY_TIMEOUT_MS, {
      signal,
      giveUp: () =>
        runningPid(paths.pidFile) === undefined
          ? `postgres exited during start-up; the end of ${paths.logFile}:\n${logTail(paths.logFile)}`
          : undefined,
    });
    await ensureHubDatabase(admin);
  } catch (error) {
    await stopPostgres(settings);
    throw error;
  }
  return 'started';
}

/** Where it listens, as its pid file records it. */
export function postgresAddress(settings: LocalStackSettings): string {
  return localAddresses(settings).postgresUrl;
}

/** The `hub` role (login, no superuser) and the `hub` database it owns; two starts at once create each once. */
async function ensureHubDatabase(admin: Postgres): Promise<void> {
  const alreadyThere = (error: unknown) => {
    // 42710 duplicate_object (the role), 42P04 duplicate_database: another start made it first.
    if (!(error instanceof PostgresQueryError && (error.code === '42710' || error.code === '42P04'))) throw error;
  };
  const role = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'hub'");
  if (role.rowCount === 0) await admin.query('CREATE ROLE hub LOGIN').catch(alreadyThere);
  const database = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'hub'");
  if (database.rowCount === 0) await admin.query('CREATE DATABASE hub OWNER hub').catch(alreadyThere);
}

export function stopPostgres(settings: LocalStackSettings): Promise<'stopped' | 'not-running'> {
  return stopProcess(postgresPaths(settings).pidFile, STOP_GRACE_MS, { stop: 'SIGINT', force: 'SIGQUIT' });
}

export function postgresPid(settings: LocalStackSettings): number | undefined {
  return runningPid(postgresPaths(settings).pidFile);
}
