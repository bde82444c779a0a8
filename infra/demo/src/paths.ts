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
  } as const;
}
export type DemoFiles = ReturnType<typeof demoFiles>;

/** Where the demo keeps its generated files (git-ignored): HUB_DEMO_DIR, default `.data/demo`. */
export const DEMO_DIR = process.env['HUB_DEMO_DIR'] || path.join(REPO_ROOT, '.data/demo');
export const DEMO_FILES = demoFiles(DEMO_DIR);
