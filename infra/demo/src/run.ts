/**
 * What `./hub start` runs once the stack and the demo are set up: the demo's witness (services/witness, with
 * `<demo dir>/witness.env`) and then the hub (`<demo dir>/hub.env`, which names that witness in AUDIT_WITNESSES), each
 * its own process, in the foreground. Ctrl-C or SIGTERM stops both gracefully; SIGHUP is passed to the hub (it
 * reloads); either one ending stops the other, and this exits with the hub's code (1 when the witness failed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_FILES } from './paths.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const READY_WAIT_MS = 15_000;

// Each child in its own process group, so a Ctrl-C reaches it once, from here, never twice.
const run = (envFile: string, main: string): ChildProcess =>
  spawn(process.execPath, [`--env-file=${envFile}`, path.join(ROOT, main)], { stdio: 'inherit', detached: true });
const ended = (child: ChildProcess) =>
  new Promise<number>((resolve) => {
    child.once('exit', (code) => {
      resolve(code ?? 0);
    });
  });
const stop = (child: ChildProcess | undefined) => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
};

const witness = run(DEMO_FILES.witnessEnv, 'services/witness/src/main.ts');
const witnessEnded = ended(witness);
let hub: ChildProcess | undefined;
// Set by the signal and exit handlers (so not narrowed to false by the compiler).
let stopping = false as boolean;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopping = true;
    stop(hub);
    stop(witness);
  });
}
process.on('SIGHUP', () => {
  hub?.kill('SIGHUP');
});
void witnessEnded.then((code) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`the demo witness stopped (exit ${code}): stopping the hub\n`);
  stop(hub);
});

// The witness answers before the hub starts, so the hub's first checkpoint is cosigned at once.
const port = /^WITNESS_PORT=(\d+)$/m.exec(readFileSync(DEMO_FILES.witnessEnv, 'utf8'))?.[1];
const deadline = Date.now() + READY_WAIT_MS;
while (!stopping && Date.now() < deadline) {
  const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
    (answer) => answer.ok,
    () => false,
  );
  if (ready) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
let code = 1;
if (!stopping) {
  hub = run(DEMO_FILES.env, 'services/hub/src/main.ts');
  code = await ended(hub);
  stopping = true;
  stop(witness);
}
const witnessCode = await witnessEnded;
process.exit(hub === undefined ? witnessCode || 1 : code);
