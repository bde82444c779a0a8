import { open, readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import { MAX_NOTE_BYTES } from '@hub/tlog';
import { writeFileAtomically } from './files.ts';
import { MAX_WITNESSED_LOGS } from './logs.ts';

// The witness's own state: per log origin, the last checkpoint it cosigned (the note with the log's signatures and
// its own cosignature). One JSON file, replaced atomically on every change and synced before the answer goes out.

export class WitnessStateError extends Error {
  constructor(why: string) {
    super(`witness state: ${why}`);
    this.name = 'WitnessStateError';
  }
}

const stateFile = z
  .object({
    version: z.literal(1),
    logs: z.record(
      z.string().min(1).max(256),
      z.object({ checkpoint: z.string().min(1).max(MAX_NOTE_BYTES) }).strict(),
    ),
  })
  .strict();
type StateFile = z.infer<typeof stateFile>;

/**
 * The state file, held by one process at a time (a `<file>.lock` with its pid: two witnesses on one file could each
 * cosign a different history). Updates run one after another, so reading the last checkpoint, checking the new one
 * against it and persisting it is atomic, as the spec requires.
 */
export class WitnessState {
  readonly #file: string;
  readonly #lock: string;
  #state: StateFile;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(file: string, lock: string, state: StateFile) {
    this.#file = file;
    this.#lock = lock;
    this.#state = state;
  }

  /**
   * Takes the lock and reads the file. A missing file is a witness that has cosigned nothing yet; a file that does
   * not parse stops the start: starting empty over it would forget what was cosigned and accept a rewritten log.
   */
  static async open(file: string): Promise<WitnessState> {
    const lock = `${file}.lock`;
    await takeLock(lock);
    try {
      return new WitnessState(file, lock, await readState(file));
    } catch (error) {
      await rm(lock, { force: true });
      throw error;
    }
  }

  /** The last cosigned checkpoint note of `origin`, if any. */
  latest(origin: string): string | undefined {
    return this.#state.logs[origin]?.checkpoint;
  }

  /**
   * Runs `step` alone (no other update in between) with the origin's last cosigned checkpoint; when it returns a
   * `checkpoint`, that becomes the origin's and is persisted before `update` resolves.
   */
  async update<T>(
    origin: string,
    step: (latest: string | undefined) => { readonly result: T; readonly checkpoint?: string },
  ): Promise<T> {
    const run = this.#queue.then(async () => {
      const { result, checkpoint } = step(this.latest(origin));
      if (checkpoint === undefined) return result;
      if (this.#state.logs[origin] === undefined && Object.keys(this.#state.logs).length >= MAX_WITNESSED_LOGS) {
        throw new WitnessStateError(`more than ${MAX_WITNESSED_LOGS} logs`);
      }
      const next: StateFile = { version: 1, logs: { ...this.#state.logs, [origin]: { checkpoint } } };
      await writeFileAtomically(this.#file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      this.#state = next;
      return result;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for updates in flight and releases the lock. */
  async close(): Promise<void> {
    await this.#queue;
    await rm(this.#lock, { force: true });
  }
}

async function readState(file: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, logs: {} };
    throw new WitnessStateError('the state file cannot be read');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WitnessStateError('the state file is not JSON');
  }
  const result = stateFile.safeParse(parsed);
  if (!result.success) throw new WitnessStateError('the state file is not a version 1 witness state');
  return result.data;
}

async function takeLock(lock: string, retried = false): Promise<void> {
  try {
    const handle = await open(lock, 'wx', 0o600);
    try {
      await handle.writeFile(`${process.pid}\n`, 'utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new WitnessStateError('cannot create the lock');
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (!retried && !isRunning(holder)) {
      // Left by a witness that died without stopping: no process holds it.
      await rm(lock, { force: true });
      await takeLock(lock, true);
      return;
    }
    throw new WitnessStateError('another witness process holds the state file');
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
