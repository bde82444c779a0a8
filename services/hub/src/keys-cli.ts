/**
 * The hub's keys (packages/signing/README.md, "Rotation"; README "Deploying"):
 *   ./hub keys init     before the first start: the hub's signing keys file (one ES256 key) and the audit log's
 *                       Ed25519 key, each created only where no file is; prints the kid and the log's vkey
 *   ./hub keys rotate   a new active key; the previous one retired (public half only), published until its
 *                       notifications can no longer be read; retired keys past that dropped
 * Reads HUB_SIGNING_KEYS_FILE (and, for init, AUDIT_LOG_KEY_FILE and AUDIT_LOG_ORIGIN). Prints kids, dates and public
 * keys only, never key material. The running hub takes a rotated file on SIGHUP (no restart); until then it signs
 * with the old key, which stays published, so nothing breaks meanwhile.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadLogKey } from '@hub/audit-service';
import { inboxRetentionMs } from '@hub/contracts';
import { auditLogEnv, ConfigError, loadConfig } from '@hub/config';
import { hubEnv } from '@hub/runtime';
import { createKeyStore, retiredKeyKeepMs, rotateKeyFile, SigningKeyError } from '@hub/signing';

const USAGE = 'usage: ./hub keys init | rotate';
const args = process.argv.slice(2);
const file = process.env['HUB_SIGNING_KEYS_FILE'];
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}

  init     before a deployment's first start: create HUB_SIGNING_KEYS_FILE with one ES256 key and the audit log's
           Ed25519 key (AUDIT_LOG_KEY_FILE, default audit-log.skey beside it, named AUDIT_LOG_ORIGIN: set it to the
           deployment's), each mode 0600 and each only where no file is (an existing key is never replaced). Prints
           the signing kid and the log's public key (vkey), for witnesses and auditors. Then store both as secrets
           (hub-signing-keys and hub-audit-log-key: infra/k8s/README.md, "What an operator sets").
  rotate   write a new active signing key (ES256) into HUB_SIGNING_KEYS_FILE and retire the active one: its private
           half is dropped, its public half stays in the JWKS until retiredAt + the inbox retention
           (HUB_INBOX_RETENTION_DAYS: set it to the deployment's value, since this command reads its own
           environment's, default 90) + 1 day; retired keys past that are removed. Atomic (temp file, rename), mode
           0600. Then send SIGHUP to every hub process (kill -HUP <pid>) so it signs with the new key.

HUB_SIGNING_KEYS_FILE (${file ?? 'unset'}); locally the demo's: \${HUB_DEMO_DIR:-.data/demo}/hub-signing-keys.json
HUB_INBOX_RETENTION_DAYS (${process.env['HUB_INBOX_RETENTION_DAYS'] ?? "unset: the default, 90; set the deployment's"})
`);
  process.exit(0);
}
if (args.length !== 1 || (args[0] !== 'rotate' && args[0] !== 'init')) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
if (file === undefined || file === '') {
  process.stderr.write('HUB_SIGNING_KEYS_FILE: required (the hub signing keys file)\n');
  process.exit(2);
}

/** The hub's own configuration rules for the keys this command reads, so it keeps what the running hub uses. */
function config() {
  try {
    const keys = auditLogEnv.pick({ AUDIT_LOG_KEY_FILE: true, AUDIT_LOG_ORIGIN: true });
    return loadConfig(keys.extend({ HUB_INBOX_RETENTION_DAYS: hubEnv.shape.HUB_INBOX_RETENTION_DAYS }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

async function init(signingKeys: string): Promise<void> {
  const { AUDIT_LOG_KEY_FILE, AUDIT_LOG_ORIGIN } = config();
  const logKeyFile = AUDIT_LOG_KEY_FILE ?? join(dirname(signingKeys), 'audit-log.skey');
  const signingExisted = existsSync(signingKeys);
  const logKeyExisted = existsSync(logKeyFile);
  const store = await createKeyStore({ file: signingKeys, generateIfMissing: true });
  const logKey = loadLogKey(logKeyFile, AUDIT_LOG_ORIGIN, true);
  process.stdout.write(
    `${signingExisted ? 'kept' : 'created'} ${signingKeys}: active kid ${store.activeKid}\n` +
      `${logKeyExisted ? 'kept' : 'created'} ${logKeyFile}: audit log vkey ${logKey.vkey}\n`,
  );
}

async function rotate(signingKeys: string): Promise<void> {
  const result = await rotateKeyFile({
    file: signingKeys,
    retiredKeyKeepMs: retiredKeyKeepMs(inboxRetentionMs(config().HUB_INBOX_RETENTION_DAYS)),
  });
  process.stdout.write(`rotated ${signingKeys}: active kid ${result.activeKid}\n`);
  for (const key of result.retired) {
    const state = result.retiredKids.includes(key.kid) ? 'retired now' : 'retired';
    process.stdout.write(`  ${state}: ${key.kid}, published until ${key.publishedUntil ?? 'removed by hand'}\n`);
  }
  for (const kid of result.droppedKids) process.stdout.write(`  dropped (retention passed): ${kid}\n`);
  process.stdout.write('send SIGHUP to each hub process to sign with the new key (no restart needed)\n');
}

try {
  await (args[0] === 'init' ? init(file) : rotate(file));
} catch (error) {
  if (error instanceof SigningKeyError || (error instanceof Error && error.name === 'LogKeyError')) {
    process.stderr.write(`keys not ${args[0] === 'init' ? 'made' : 'rotated'}: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
