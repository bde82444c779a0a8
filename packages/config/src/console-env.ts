import { z } from 'zod';
import { existingPath, intInRange, MAX_ENV_VALUE_LENGTH, urlString } from './coerce.ts';

/**
 * The IG console's keys (services/console/README.md, "Configuration"). Everything is optional: without an accounts
 * file and OpenID Connect nobody can sign in, and the console's page says so.
 */
export const consoleEnv = z.object({
  /** The console's people: local accounts (scrypt password hashes) and the OpenID Connect subjects allowed in. */
  CONSOLE_ACCOUNTS_FILE: existingPath('file').optional(),
  /**
   * The origin people reach the console at. `https://` makes the session cookie `Secure` (and `__Host-` named);
   * the OpenID Connect redirect URL defaults to `<this>/v1/console/oidc/callback`.
   */
  CONSOLE_PUBLIC_URL: urlString({ protocols: ['http:', 'https:'] }).default('http://127.0.0.1:8080'),
  /** A session ends after this many minutes without a request. */
  CONSOLE_SESSION_IDLE_MINUTES: intInRange(1, 480).default(15),
  /** A session ends this many hours after sign-in, however active (a working day). */
  CONSOLE_SESSION_MAX_HOURS: intInRange(1, 24).default(10),
  /** Failed sign-ins per username in 15 minutes before that username is refused (429) for the rest of the window. */
  CONSOLE_SIGN_IN_FAILURES_PER_ACCOUNT: intInRange(1, 100).default(5),
  /** Failed sign-ins per network (IPv4 /24, IPv6 /48) in 15 minutes before it is refused for the rest of it. */
  CONSOLE_SIGN_IN_FAILURES_PER_NETWORK: intInRange(1, 100_000).default(50),
  /** The OpenID Connect provider's issuer (NHS CIS2 Authentication in production); unset: no OIDC sign-in. */
  CONSOLE_OIDC_ISSUER: urlString({ protocols: ['https:', 'http:'] }).optional(),
  /** The console's client id at the provider (required with the issuer). */
  CONSOLE_OIDC_CLIENT_ID: z.string().min(1).max(256).optional(),
  /** A file holding the client secret (client_secret_basic); never the secret itself in the environment. */
  CONSOLE_OIDC_CLIENT_SECRET_FILE: existingPath('file').optional(),
  /** Registered redirect URL; default `<CONSOLE_PUBLIC_URL>/v1/console/oidc/callback`. */
  CONSOLE_OIDC_REDIRECT_URL: urlString({ protocols: ['https:', 'http:'] }).optional(),
  /** Space-separated scopes asked for; `openid` is always among them. */
  CONSOLE_OIDC_SCOPES: z
    .string()
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'must be scopes separated by single spaces')
    .max(1_000)
    .default('openid profile'),
  /** The sign-in button's label. */
  CONSOLE_OIDC_NAME: z.string().min(1).max(100).default('NHS Care Identity Service 2'),
  /** The console's built page (services/console/ui's build output); default that package's dist/. */
  CONSOLE_UI_DIR: z.string().min(1).max(MAX_ENV_VALUE_LENGTH).optional(),
});
