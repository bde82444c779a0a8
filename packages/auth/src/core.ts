import type { Logger } from '@hub/logger';
import type { RedisClient } from '@hub/redis';
import type { HubKeyStore } from '@hub/signing';
import type { AuthEvent } from './events.ts';
import type { ClientRegistry } from './registry.ts';
import type { VerifiedTokens } from './verified-tokens.ts';

/** Whether an auth event was audited; when not, the listener's error. */
export type EmitOutcome = { readonly audited: true } | { readonly audited: false; readonly error: unknown };

/** What the token endpoint and the bearer check share; built once by createAuth. Internal. */
export interface AuthCore {
  readonly registry: ClientRegistry;
  readonly keyStore: HubKeyStore;
  readonly redis: RedisClient;
  readonly tokenUrl: string;
  readonly tokenPath: string;
  readonly issuer: string;
  readonly accessTokenLifetimeSeconds: number;
  readonly clockSkewSeconds: number;
  readonly logger: Logger;
  /** Access tokens whose signature verified (bearer.ts); one per createAuth. */
  readonly verifiedTokens: VerifiedTokens;
  /** Milliseconds since the epoch. */
  now(): number;
  isoNow(): string;
  /** Calls onAuthEvent; when it threw, logs that and resolves with its error (never rejects). */
  emit(event: AuthEvent): Promise<EmitOutcome>;
}
