import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The demo's files in one directory: client keys, the client registry, the hub's keys and its env file. */
export function demoFiles(dir: string) {
  return {
    dir,
    registry: path.join(dir, 'clients.json'),
    hubKeys: path.join(dir, 'hub-signing-keys.json'),
    env: path.join(dir, 'hub.env'),
    clientKey: (clientId: string) => path.join(dir, 'clients', `${clientId}.private.jwk.json`),
    /** The IG console's people (services/console), and the demo officer's generated password. */
    consoleAccounts: path.join(dir, 'console-accounts.json'),
    consolePassword: path.join(dir, 'console-password'),
    /** The audit log's signing key: where the hub looks by default (beside its signing keys). */
    auditLogKey: path.join(dir, 'audit-log.skey'),
    /** The demo's witness (services/witness): its key (and `.vkey`), state, logs file and env file. */
    witnessKey: path.join(dir, 'witness', 'witness.key'),
    witnessState: path.join(dir, 'witness', 'state.json'),
    witnessLogs: path.join(dir, 'witness', 'logs.txt'),
    witnessEnv: path.join(dir, 'witness.env'),
  } as const;
}
export type DemoFiles = ReturnType<typeof demoFiles>;

/** Where the demo keeps its generated files (git-ignored): HUB_DEMO_DIR, default `.data/demo`. */
export const DEMO_DIR = process.env['HUB_DEMO_DIR'] || path.join(REPO_ROOT, '.data/demo');
export const DEMO_FILES = demoFiles(DEMO_DIR);
