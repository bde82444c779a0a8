import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the demo keeps its generated keys and registry (git-ignored). */
export const DEMO_DIR = process.env['HUB_DEMO_DIR'] ?? path.join(REPO_ROOT, '.data/demo');
export const DEMO_FILES = {
  registry: path.join(DEMO_DIR, 'clients.json'),
  hubKeys: path.join(DEMO_DIR, 'hub-signing-keys.json'),
  env: path.join(DEMO_DIR, 'hub.env'),
  clientKey: (clientId: string) => path.join(DEMO_DIR, 'clients', `${clientId}.private.jwk.json`),
};
export const DEFAULT_HUB_URL = 'http://127.0.0.1:8080';
