import { z } from 'zod';
import { booleanString, existingPath, intInRange, MAX_ENV_VALUE_LENGTH, urlString } from '@hub/config';
import { MAX_ACCESS_TOKEN_LIFETIME_SECONDS, MIN_ACCESS_TOKEN_LIFETIME_SECONDS } from './auth.ts';

/**
 * The environment keys of auth, for a service's config schema: `myEnv = httpEnv.extend(authEnv.shape)`.
 * No defaults for the files: a service that serves clients must be told who they are and which key signs.
 */
export const authEnv = z.object({
  /** The client registry JSON file; must exist at start-up. */
  HUB_CLIENTS_FILE: existingPath('file'),
  /** The hub's private signing keys (JWKS); may be absent only when HUB_SIGNING_KEYS_GENERATE is true. */
  HUB_SIGNING_KEYS_FILE: z
    .string()
    .min(1, 'must be a file path')
    .max(MAX_ENV_VALUE_LENGTH, `must be at most ${MAX_ENV_VALUE_LENGTH} characters`),
  /** Local development only: create the signing keys file with one ES256 key when it is missing. */
  HUB_SIGNING_KEYS_GENERATE: booleanString().default(false),
  /** The token endpoint's public URL, exactly as clients put it in `aud`. */
  HUB_TOKEN_URL: urlString({ protocols: ['https:', 'http:'] }).default('http://127.0.0.1:8080/oauth2/token'),
  /** Access token lifetime (`expires_in`). */
  HUB_ACCESS_TOKEN_LIFETIME_SECONDS: intInRange(
    MIN_ACCESS_TOKEN_LIFETIME_SECONDS,
    MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  ).default(300),
});
