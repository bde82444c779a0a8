import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createAuth, loadClientRegistry } from '@hub/auth';
import { ALL_HTTP_ROUTES, ALL_TOPICS, inboxRetentionMs, serviceStarted, VIEW_KEYS, viewStore } from '@hub/contracts';
import { directoryFiles, loadFileDirectory } from '@hub/directory';
import {
  closeGracefully,
  createHttpServer,
  listen,
  serveRoutes,
  type BoundAddress,
  type HttpServer,
  type ReadinessCheck,
} from '@hub/http';
import { createKafkaClient, kafkaSecurityOf, startStep, type KafkaClientOptions, type Subscription } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import {
  defaultChildProtectionPolicy,
  defaultDomesticAbusePolicy,
  loadChildProtectionPolicy,
  loadPolicy,
} from '@hub/policy';
import { createPostgres, migrate, type Postgres } from '@hub/postgres';
import { closeRedis, createRedis, pingRedis, type RedisClient } from '@hub/redis';
import { startTracing } from '@hub/tracing';
import { createKeyStore, retiredKeyKeepMs } from '@hub/signing';
import { auditAuthEvents, auditRateLimits } from './audit-auth.ts';
import { rateLimitsOf, type HubConfig } from './config.ts';
import { holdInstanceName, type InstanceNameLease } from './instance-name.ts';
import { jwksRoute } from './jwks.ts';
import { baseMigrationsOf, viewMigrationsOf } from './migrations.ts';
import { createProcessMetrics } from './metrics.ts';
import type { HubService, ServiceDeps, ServiceFactory } from './service.ts';
import { createViewGenerations, type ViewGenerations } from './view-generations.ts';
import { generationSchema } from './view-postgres.ts';
import { SHUTDOWN_GRACE_MS, stopPhases, type StopDeadlines } from './stop-phases.ts';
import { startWorkers, type RunningWorkers } from './workers.ts';

export interface Runtime {
  /** Provisions topics, serves HTTP, starts every step of every service; announces itself. Resolves with the address. */
  start(): Promise<BoundAddress>;
  /** Re-reads the client registry, the directory files and the signing keys (SIGHUP); bad files keep the old data. */
  reload(): Promise<void>;
  /**
   * Stops taking requests, lets in-flight work finish, closes Kafka, the instance-name lease, PostgreSQL and Redis;
   * each phase within its deadline (`STOP_DEADLINES_MS`): one that overruns is logged with what had not finished and
   * stop goes on. Never rejects. Safe to call twice.
   */
  stop(): Promise<void>;
  /** The deployment's Redis client (caches and the views' markers; each view's keys are under `views`). */
  readonly redis: RedisClient;
  /** The process's PostgreSQL client (services get it as `deps.postgres`). */
  readonly postgres: Postgres;
  /** The HTTP server (for `servedRoutes` in tests). */
  readonly http: HttpServer;
  readonly services: readonly HubService[];
  /** The generation markers of the views this process's services keep, and whether each is ready. */
  readonly views: ViewGenerations;
}

export interface RuntimeOptions {
  /** Names the process in logs and the start announcement, e.g. `hub` or `inbox`. */
  readonly name: string;
  readonly config: HubConfig;
  readonly logger: Logger;
  readonly services: readonly ServiceFactory[];
  readonly now?: () => Date;
  readonly version?: string;
  /** Tests only: where Kafka connections really go (`@hub/kafka` `resolveBroker`), e.g. a cuttable proxy. */
  readonly resolveKafkaBroker?: KafkaClientOptions['resolveBroker'];
  /** Each phase of stop()'s deadline; `STOP_DEADLINES_MS` unless a test shortens them. */
  readonly stopDeadlinesMs?: StopDeadlines;
}

const READINESS_TIMEOUT_MS = 1_000;

/** The steps a service runs live: all but the projectors that run only when their view is rebuilt (`rebuildOnly`). */
const liveSteps = (service: HubService) =>
  service.steps.filter(({ step }) => !(step.kind === 'projector' && step.rebuildOnly === true));

/**
 * One process hosting a list of services: builds the shared pieces once (Kafka, Redis, signing keys, client
 * registry, directory, policies, auth, HTTP), asks each service for its face, serves every route from the HTTP
 * catalogue and starts every step. `services/hub` runs all of them; each service's `main.ts` runs itself alone.
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, logger, now = () => new Date(), version = '0.1.0' } = options;
  const instanceId = randomUUID();
  // Off unless an OTLP endpoint is configured (OTEL_*): then a span per request and per record each step handles.
  const tracing = await startTracing(config, {
    serviceName: options.name,
    instanceName: config.KAFKA_INSTANCE_NAME,
    version,
    logger,
  });
  const kafka = createKafkaClient({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    topicNamespace: config.KAFKA_TOPIC_NAMESPACE,
    instanceName: config.KAFKA_INSTANCE_NAME,
    security: kafkaSecurityOf(config),
    durability: config.KAFKA_DURABILITY,
    logger,
    tracer: tracing.tracer,
    ...(options.resolveKafkaBroker === undefined ? {} : { resolveBroker: options.resolveKafkaBroker }),
  });
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    connectionName: options.name,
    logger,
  });
  // Lazy: no connection until a statement, so a process whose services use no PostgreSQL never opens one.
  const postgres = createPostgres({
    url: config.POSTGRES_URL,
    schema: config.POSTGRES_SCHEMA,
    applicationName: options.name,
    logger,
  });
  const keyStore = await createKeyStore({
    file: config.HUB_SIGNING_KEYS_FILE,
    generateIfMissing: config.HUB_SIGNING_KEYS_GENERATE,
    // A retired key stays published while anything it signed may still be read from an inbox.
    retiredKeyKeepMs: retiredKeyKeepMs(inboxRetentionMs(config.HUB_INBOX_RETENTION_DAYS)),
    now,
  });
  const registry = await loadClientRegistry({ file: config.HUB_CLIENTS_FILE, logger });
  const directory = await loadFileDirectory({ files: directoryFiles(config), logger });
  const policy =
    config.POLICY_FILE === undefined
      ? defaultDomesticAbusePolicy()
      : loadPolicy(await readFile(config.POLICY_FILE, 'utf8'));
  const cpPolicy =
    config.CP_POLICY_FILE === undefined
      ? defaultChildProtectionPolicy()
      : loadChildProtectionPolicy(await readFile(config.CP_POLICY_FILE, 'utf8'));
  const auth = createAuth({
    registry,
    keyStore,
    redis,
    tokenUrl: config.HUB_TOKEN_URL,
    accessTokenLifetimeSeconds: config.HUB_ACCESS_TOKEN_LIFETIME_SECONDS,
    onAuthEvent: auditAuthEvents(kafka),
    logger,
  });
  const views = createViewGenerations({
    redis,
    postgres,
    kafka,
    logger,
    instanceId,
    openSpace: (view, generation) =>
      createRedis({
        url: config.REDIS_URL,
        keyPrefix: config.REDIS_KEY_PREFIX + VIEW_KEYS.space(view, generation),
        connectionName: `${options.name}.${view}`,
        logger,
      }),
    // A PostgreSQL view's generation: its own schema, with the migrations of the services keeping the view.
    openPostgresSpace: async (view, generation) => {
      const space = createPostgres({
        url: config.POSTGRES_URL,
        schema: generationSchema(config.POSTGRES_SCHEMA, view, generation),
        applicationName: `${options.name}.${view}`,
        logger,
      });
      try {
        await migrate(space, viewMigrationsOf(services, view), { logger });
      } catch (error) {
        await space.close();
        throw error;
      }
      return space;
    },
    // A build's steps: the services keeping the view, made again with the view on the new key space (or schema).
    buildSteps: (view, space) =>
      options.services
        .map((factory) =>
          factory({
            ...deps,
            viewRedis: (other) => (other === view && 'redis' in space ? space.redis : views.redisFor(other)),
            viewPostgres: (other) =>
              other === view && 'postgres' in space ? space.postgres : views.postgresFor(other),
          }),
        )
        .filter((service) => service.views.includes(view))
        .flatMap((service) => service.steps)
        .filter((binding) => binding.step.view === view),
  });
  const deps: ServiceDeps = {
    config,
    logger,
    kafka,
    viewRedis: (view) => views.redisFor(view),
    viewPostgres: (view) => views.postgresFor(view),
    redis,
    postgres,
    auth,
    keyStore,
    directory,
    policy,
    cpPolicy,
    now,
  };
  const services = options.services.map((factory) => factory(deps));
  views.keep(services.flatMap((service) => service.views));
  const migrations = baseMigrationsOf(services);
  const postgresViews = [...new Set(services.flatMap((service) => service.views))].filter(
    (view) => viewStore(view) === 'postgres',
  );
  // A view kept in PostgreSQL without tables could never be told apart from a lost one.
  for (const view of postgresViews) viewMigrationsOf(services, view);

  const kept = new Set(services.flatMap((service) => service.views));
  for (const binding of services.flatMap((service) => service.routes)) {
    const foreign = (binding.route.reads ?? []).filter((view) => !kept.has(view));
    if (foreign.length > 0) {
      throw new Error(
        `route ${binding.route.operationId} reads ${foreign.join(', ')}, which no service of this process keeps`,
      );
    }
  }
  // METRICS_PORT 0: nothing gathered, nothing served.
  const metrics =
    config.METRICS_PORT === 0
      ? undefined
      : createProcessMetrics({
          host: config.METRICS_HOST,
          port: config.METRICS_PORT,
          kafka,
          logger,
          steps: services.flatMap(liveSteps),
          views,
          keptViews: [...kept],
          readings: services.flatMap((service) => (service.readings === undefined ? [] : [service.readings])),
          now,
        });
  let lease: InstanceNameLease | undefined;
  const shared: ReadinessCheck[] = [
    {
      name: 'kafka',
      check: async () => {
        if (!(await kafka.ping(READINESS_TIMEOUT_MS))) throw new Error('kafka did not answer');
      },
    },
    { name: 'redis', check: () => pingRedis(redis, READINESS_TIMEOUT_MS) },
    // Only where a service keeps tables: a process without any does not depend on PostgreSQL.
    ...(migrations.length === 0 && postgresViews.length === 0
      ? []
      : [{ name: 'postgres', check: () => postgres.ping(READINESS_TIMEOUT_MS) } satisfies ReadinessCheck]),
    {
      name: 'instance-name',
      check: () => (lease?.held() === true ? Promise.resolve() : Promise.reject(new Error('instance name not held'))),
    },
  ];
  const http = createHttpServer({
    logger,
    serviceName: options.name,
    tracer: tracing.tracer,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    readinessTimeoutMs: READINESS_TIMEOUT_MS,
    readinessChecks: [...shared, ...views.readinessChecks, ...services.flatMap((service) => service.readinessChecks)],
    catalogue: ALL_HTTP_ROUTES,
    rateLimits: { redis, ...rateLimitsOf(config), onLimited: auditRateLimits(kafka) },
    ...(config.HTTP_TRUSTED_PROXIES === undefined ? {} : { trustedProxies: config.HTTP_TRUSTED_PROXIES }),
    ...(metrics === undefined
      ? {}
      : {
          observeResponse: (response) => {
            metrics.observeResponse(response);
          },
        }),
  });
  auth.registerTokenEndpoint(http);
  const sessions = services.flatMap((service) => (service.sessions === undefined ? [] : [service.sessions]));
  if (sessions.length > 1) throw new Error('at most one service of a process may keep console sessions');
  const guard = sessions[0] === undefined ? auth.guard : auth.guardWithSessions(sessions[0]);
  serveRoutes(http, [jwksRoute(keyStore), ...services.flatMap((service) => service.routes)], guard, (view) =>
    views.confirm(view),
  );

  const subscriptions: Subscription[] = [];
  let workers: RunningWorkers | undefined;
  let stopping: Promise<void> | undefined;
  return {
    redis,
    postgres,
    http,
    services,
    views,
    async start() {
      lease = await holdInstanceName(redis, { name: config.KAFKA_INSTANCE_NAME, instanceId, logger });
      await kafka.provisionTopics(ALL_TOPICS);
      // The schema the code expects, before any route, view or step touches it.
      if (migrations.length > 0) await migrate(postgres, migrations, { logger });
      // Listen first: taking incidents and serving inboxes needs only Kafka's producer and Redis, while each
      // consumer group may wait up to a session timeout (15 s) after an unclean stop before it rejoins.
      const address = await listen(http, { host: config.HTTP_HOST, port: config.HTTP_PORT });
      await metrics?.start();
      // Before the steps start: a view's groups that have consumed nothing yet make it new, not lost.
      await views.start();
      for (const service of services) {
        const steps = liveSteps(service).map((binding) => views.gate(binding));
        subscriptions.push(
          ...(await Promise.all(steps.map((binding) => startStep(kafka, binding, metrics?.stepOptions(binding))))),
        );
      }
      workers = startWorkers(
        services.flatMap((service) => service.workers.map((worker) => ({ service: service.name, worker }))),
        { logger, confirm: (view) => views.confirm(view) },
      );
      await kafka.publish(serviceStarted, [
        { key: instanceId, value: { service: options.name, instanceId, startedAt: now().toISOString() } },
      ]);
      logger.info(
        {
          instanceId,
          version,
          port: address.port,
          services: services.map((service) => service.name),
          policyVersion: policy.version,
          cpPolicyVersion: cpPolicy.version,
          signingKid: keyStore.activeKid,
        },
        `${options.name} started`,
      );
      return address;
    },
    async reload() {
      const [clients, reference, keys] = await Promise.all([registry.reload(), directory.reload(), keyStore.reload()]);
      if (!keys.ok) logger.error({ problems: keys.problems }, 'signing keys file refused; the keys in use stay');
      logger.info(
        {
          clients: clients.ok ? 'reloaded' : 'rejected',
          directory: reference.outcome,
          signingKeys: keys.ok ? 'reloaded' : 'rejected',
          signingKid: keyStore.activeKid,
        },
        'reloaded',
      );
    },
    stop() {
      stopping ??= (async () => {
        const phases = stopPhases(logger, options.stopDeadlinesMs);
        await phases.run('http', () => closeGracefully(http, SHUTDOWN_GRACE_MS));
        await phases.run(
          'workers',
          async () => workers?.stop(),
          () => workers?.running() ?? [],
        );
        await phases.run('metrics', async () => metrics?.stop());
        await phases.run('views', () => views.stop());
        const kafkaClosed = await phases.run(
          'kafka',
          () => kafka.close(),
          () => kafka.stillClosing(),
        );
        // Last spans exported (bounded by the export timeout) once nothing makes more.
        await phases.run('tracing', () => tracing.shutdown());
        // After Kafka: the name's transactional producers are closed, so a successor may take the name. If Kafka's
        // close overran, a producer of this name may still be running: were the name handed over, it could still
        // commit, or (reset after a failure) initialise again and fence the successor's transactions. So the name is
        // not released but kept renewed until Redis closes, and then left to run out (INSTANCE_LEASE_MS after its last
        // renewal, as a crashed holder's does), by which time this process has exited (runMain exits once stop
        // resolves), taking any such producer with it. Kafka's fencing backs this: a successor's first transaction
        // bumps the producer epoch, after which the old producer's commit is refused.
        const handOver = kafkaClosed !== 'overran';
        if (handOver) {
          // A Redis that does not answer is not this stop's failure: the lease then runs out.
          await phases.run('lease', async () => lease?.release().catch(() => undefined));
        } else {
          logger.warn(
            { instanceName: config.KAFKA_INSTANCE_NAME },
            'instance name not handed over: Kafka did not close; it runs out after this process exits',
          );
        }
        await phases.run('postgres', () => postgres.close());
        await phases.run('redis', () => closeRedis(redis));
        if (!handOver) lease?.abandon();
        logger.info({ instanceId, phasesMs: phases.durationsMs }, `${options.name} stopped`);
      })();
      return stopping;
    },
  };
}
