/**
 * The hub's signing-key rotation (packages/signing/README.md, "Rotation"):
 *   ./hub keys rotate   a new active key; the previous one retired (public half only), published until its
 *                       notifications can no longer be read; retired keys past that dropped
 * Reads HUB_SIGNING_KEYS_FILE. Prints kids and dates only, never key material. The running hub takes the new file
 * on SIGHUP (no restart); until then it signs with the old key, which stays published, so nothing breaks meanwhile.
 */
import { inboxRetentionMs } from '@hub/contracts';
import { ConfigError, loadConfig } from '@hub/config';
import { hubEnv } from '@hub/runtime';
import { retiredKeyKeepMs, rotateKeyFile, SigningKeyError } from '@hub/signing';

const USAGE = 'usage: ./hub keys rotate';
const args = process.argv.slice(2);
const file = process.env['HUB_SIGNING_KEYS_FILE'];
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}

  rotate   write a new active signing key (ES256) into HUB_SIGNING_KEYS_FILE and retire the active one: its private
           half is dropped, its public half stays in the JWKS until retiredAt + the inbox retention
           (HUB_INBOX_RETENTION_DAYS, as the hub has it) + 1 day; retired keys past that are removed. Atomic (temp
           file, rename), mode 0600. Then send SIGHUP to every hub process (kill -HUP <pid>) so it signs with the new
           key.

HUB_SIGNING_KEYS_FILE (${file ?? 'unset'}); locally the demo's: \${HUB_DEMO_DIR:-.data/demo}/hub-signing-keys.json
HUB_INBOX_RETENTION_DAYS (${process.env['HUB_INBOX_RETENTION_DAYS'] ?? 'unset: the default, 90'})
`);
  process.exit(0);
}
if (args.length !== 1 || args[0] !== 'rotate') {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
if (file === undefined || file === '') {
  process.stderr.write('HUB_SIGNING_KEYS_FILE: required (the hub signing keys file to rotate)\n');
  process.exit(2);
}

let retentionDays: number;
try {
  // The hub's own rule for the key, so the rotation keeps what the running hub publishes.
  retentionDays = loadConfig(hubEnv.pick({ HUB_INBOX_RETENTION_DAYS: true })).HUB_INBOX_RETENTION_DAYS;
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

try {
  const result = await rotateKeyFile({
    file,
    retiredKeyKeepMs: retiredKeyKeepMs(inboxRetentionMs(retentionDays)),
  });
  process.stdout.write(`rotated ${file}: active kid ${result.activeKid}\n`);
  for (const key of result.retired) {
    const state = result.retiredKids.includes(key.kid) ? 'retired now' : 'retired';
    process.stdout.write(`  ${state}: ${key.kid}, published until ${key.publishedUntil ?? 'removed by hand'}\n`);
  }
  for (const kid of result.droppedKids) process.stdout.write(`  dropped (retention passed): ${kid}\n`);
  process.stdout.write('send SIGHUP to each hub process to sign with the new key (no restart needed)\n');
} catch (error) {
  if (error instanceof SigningKeyError) {
    process.stderr.write(`not rotated: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
