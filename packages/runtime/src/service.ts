import type { HubServiceName, HubViewName } from '@hub/contracts';
import type { Auth, SessionVerifier } from '@hub/auth';
import type { FileDirectory } from '@hub/directory';
import type { ReadinessCheck, RouteBinding } from '@hub/http';
import type { KafkaClient, StepBinding } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import type { ChildProtectionPolicy, Policy } from '@hub/policy';
import type { Migration, Postgres } from '@hub/postgres';
import type { RedisClient } from '@hub/redis';
import type { HubKeyStore } from '@hub/signing';
import type { HubConfig } from './config.ts';
import type { Worker } from './workers.ts';

/** What every service of a process shares: built once by the runtime from the process's configuration. */
export interface ServiceDeps {
  readonly config: HubConfig;
  readonly logger: Logger;
  readonly kafka: KafkaClient;
  /**
   * The Redis client for a view's modules (its keys, and the locks they take), on the key space of the generation
   * this process serves; it follows the view to each new generation.
   */
  viewRedis(view: HubViewName): RedisClient;
  /** The deployment's Redis client, for the caches of `HUB_CACHES` (never a view's keys: those are `viewRedis`'s). */
  readonly redis: RedisClient;
  /**
   * The process's PostgreSQL client (`POSTGRES_URL`, in schema `POSTGRES_SCHEMA`), one pool per process: the runtime's
   * bookkeeping and the tables of services that keep no view in PostgreSQL.
   */
  readonly postgres: Postgres;
  /**
   * For a view kept in PostgreSQL (`HUB_VIEWS[view].store`): the client on the schema of the generation this process
   * serves (its services' migrations applied); it follows the view to each new generation.
   */
  viewPostgres(view: HubViewName): Postgres;
  readonly auth: Auth;
  readonly keyStore: HubKeyStore;
  readonly directory: FileDirectory;
  readonly policy: Policy;
  readonly cpPolicy: ChildProtectionPolicy;
  readonly now: () => Date;
}

/**
 * A service's one face: its routes (bound to their `HTTP_ROUTES` entries), its stages and projectors (bound to
 * their `STEPS` entries, which name their groups and transactional ids), the views it keeps, its own readiness
 * checks and its background workers. `createXService(deps)` returns it; a process serves any list of them
 * (services/hub: all of them).
 */
export interface HubService {
  readonly name: HubServiceName;
  readonly routes: readonly RouteBinding[];
  readonly steps: readonly StepBinding[];
  readonly views: readonly HubViewName[];
  readonly readinessChecks: readonly ReadinessCheck[];
  /**
   * The service's PostgreSQL schema changes, in version order (`@hub/postgres` `migrate`): for a service keeping a view
   * in PostgreSQL, its view's tables, applied to each generation's schema; otherwise applied to `POSTGRES_SCHEMA` at
   * start. Either way before anything is served or consumed (src/migrations.ts).
   */
  readonly migrations: readonly Migration[];
  /** Background loops (`src/workers.ts`): started after the steps, aborted and awaited on stop, restarted on a crash. */
  readonly workers: readonly Worker[];
  /**
   * People's console sessions (services/console): when a service of the process has them, routes whose contract
   * admits `person` take a session cookie (`@hub/auth` `guardWithSessions`). At most one service per process.
   */
  readonly sessions?: SessionVerifier;
  /** Read at each scrape of `/metrics` when metrics are on; must answer within a second (else the last values stay). */
  readonly readings?: () => Promise<ServiceReadings>;
}

/**
 * What a service reports at each scrape of `/metrics` (`src/metrics.ts`), read from the views it keeps: counts only,
 * deployment-wide (every instance reads the same store). Each part is optional: a service fills in its own.
 */
export interface ServiceReadings {
  /** Notifications open in each deadline state (the deadlines view). */
  readonly notifications?: { readonly overdue: number; readonly escalated: number; readonly notDelivered: number };
  /** The verifiable audit log: its tree size, and its latest signed checkpoint (none before the first). */
  readonly auditLog?: {
    readonly leaves: number;
    readonly checkpoint: { readonly leaves: number; readonly signedAt: Date } | undefined;
    /** Stored checkpoints whose root is not the tree's at their size (0 unless the log was rewritten). */
    readonly checkpointMismatches: number;
  };
}

export type ServiceFactory = (deps: ServiceDeps) => HubService;

/** The face of a service, with nothing it does not have. */
export function defineService(face: Pick<HubService, 'name'> & Partial<Omit<HubService, 'name'>>): HubService {
  return Object.freeze({ routes: [], steps: [], views: [], readinessChecks: [], migrations: [], workers: [], ...face });
}
