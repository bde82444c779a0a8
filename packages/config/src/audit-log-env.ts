import { z } from 'zod';
import { booleanString, commaList, intInRange, MAX_ENV_VALUE_LENGTH, urlString } from './coerce.ts';

/** A C2SP key name: no whitespace, no `+` (the origin is also the log key's name). */
const keyName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\s+]+$/, 'must be a key name: no spaces, no +');

/** `<url> <vkey>`: a witness's add-checkpoint prefix and its cosignature vkey (checked in full at start). */
const witness = z
  .string()
  .regex(/^\S+ [^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/, 'must be "<url> <name>+<key id>+<key>"')
  .transform((item) => {
    const [url = '', vkey = ''] = item.split(' ');
    return { url, vkey };
  })
  .pipe(z.object({ url: urlString({ protocols: ['https:', 'http:'] }), vkey: z.string() }));

/** The most witnesses one log submits to. */
export const MAX_AUDIT_WITNESSES = 8;

/** The audit trail's verifiable log (services/audit/src/log/README.md, "Configuration"). */
export const auditLogEnv = z.object({
  /** The log's C2SP origin: the first line of each checkpoint and the name of its signing key. */
  AUDIT_LOG_ORIGIN: keyName.default('safeguarding-hub.invalid/audit'),
  /**
   * The log's Ed25519 signer key (`PRIVATE+KEY+<origin>+<id>+<base64>`, 0600). Default: `audit-log.skey` beside
   * `HUB_SIGNING_KEYS_FILE`.
   */
  AUDIT_LOG_KEY_FILE: z.string().min(1).max(MAX_ENV_VALUE_LENGTH).optional(),
  /** Local development and tests: create the key file when missing (also when `HUB_SIGNING_KEYS_GENERATE` is). */
  AUDIT_LOG_KEY_GENERATE: booleanString().default(false),
  /** Witnesses asked to cosign each checkpoint, comma-separated `<url> <vkey>` pairs; none when unset. */
  AUDIT_WITNESSES: commaList(witness, { maxItems: MAX_AUDIT_WITNESSES }).optional(),
  /**
   * Seconds between the hub's full verifications of its own log (services/audit/src/verification): every leaf is
   * rehashed, so not more often than every 10 seconds; at most a day.
   */
  AUDIT_LOG_VERIFY_INTERVAL_SECONDS: intInRange(10, 86_400).default(600),
});
