import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createAuditStore, registerAuditRoutes, startAuditProjector } from '@hub/audit-service';
import { createAuth, loadClientRegistry } from '@hub/auth';
import {
  createFgmIntake,
  createFlagLookup,
  createFlagView,
  createPlanIntake,
  registerChildProtectionRoutes,
  startChildProtectionNotifier,
  startFlagViewProjector,
} from '@hub/child-protection';
import { ALL_TOPICS, serviceStarted } from '@hub/contracts';
import { directoryFiles, loadFileDirectory } from '@hub/directory';
import { createLineage, startDispatcherStage } from '@hub/dispatcher';
import { closeGracefully, createHttpServer, listen, type BoundAddress } from '@hub/http';
import { startIdentityStage } from '@hub/identity';
import { startIgEngineStage } from '@hub/ig-engine';
import { createInboxStore, registerInboxRoutes, startInboxProjector } from '@hub/inbox';
import { createKafkaClient, type Subscription } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import {
  createIncidentIntake,
  createReceiptStatusView,
  registerPoliceGatewayRoutes,
  startReceiptStatusProjector,
} from '@hub/police-gateway';
import {
  defaultChildProtectionPolicy,
  defaultDomesticAbusePolicy,
  loadChildProtectionPolicy,
  loadPolicy,
} from '@hub/policy';
import { closeRedis, createRedis, pingRedis } from '@hub/redis';
import { createKeyStore } from '@hub/signing';
import { auditAuthEvents } from './audit-auth.ts';
import { holdInstanceName, type InstanceNameLease } from './instance-name.ts';
import type { HubConfig } from './config.ts';

export interface Hub {
  /** Provisions topics, starts every stage and projector, then HTTP; announces itself. Resolves with the address. */
  start(): Promise<BoundAddress>;
  /** Re-reads the client registry and the directory files (SIGHUP); bad files keep the old data. */
  reload(): Promise<void>;
  /** Stops taking requests, lets in-flight work finish, closes Kafka and Redis. Safe to call twice. */
  stop(): Promise<void>;
}

export interface HubDeps {
  readonly config: HubConfig;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly version?: string;
}

const SHUTDOWN_GRACE_MS = 10_000;
const READINESS_TIMEOUT_MS = 1_000;

/**
 * The hub's composition root: one process hosting every service module, built from the shared Kafka, Redis,
 * HTTP, auth and signing pieces. `main.ts` only reads config and handles signals.
 */
export async function createHub({ config, logger, now = () => new Date(), version = '0.1.0' }: HubDeps): Promise<Hub> {
  const instanceId = randomUUID();
  const kafka = createKafkaClient({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    topicNamespace: config.KAFKA_TOPIC_NAMESPACE,
    instanceName: config.KAFKA_INSTANCE_NAME,
    logger,
  });
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    connectionName: 'hub',
    logger,
  });
  const keyStore = await createKeyStore({
    file: config.HUB_SIGNING_KEYS_FILE,
    generateIfMissing: config.HUB_SIGNING_KEYS_GENERATE,
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
  let lease: InstanceNameLease | undefined;
  const http = createHttpServer({
    logger,
    serviceName: 'hub',
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    readinessTimeoutMs: READINESS_TIMEOUT_MS,
    readinessChecks: [
      {
        name: 'kafka',
        check: async () => {
          if (!(await kafka.ping(READINESS_TIMEOUT_MS))) throw new Error('kafka did not answer');
        },
      },
      { name: 'redis', check: () => pingRedis(redis, READINESS_TIMEOUT_MS) },
      {
        name: 'instance-name',
        check: () => (lease?.held() === true ? Promise.resolve() : Promise.reject(new Error('instance name not held'))),
      },
    ],
  });

  const intake = createIncidentIntake({ kafka, redis, now, transactionalId: 'police-gateway' });
  const receiptStatus = createReceiptStatusView(redis);
  const inbox = createInboxStore(redis);
  const auditStore = createAuditStore(redis);
  auth.registerTokenEndpoint(http);
  registerPoliceGatewayRoutes(http, { auth, intake, status: receiptStatus });
  const cp = { kafka, redis, directory, policy: cpPolicy, now };
  registerChildProtectionRoutes(http, {
    auth,
    plans: createPlanIntake({ ...cp, transactionalId: 'cp-plans' }),
    fgm: createFgmIntake({ ...cp, transactionalId: 'cp-fgm' }),
    lookup: createFlagLookup({ ...cp, transactionalId: 'cp-lookups' }),
  });
  registerInboxRoutes(http, { auth, store: inbox, kafka, keyStore, now, transactionalId: 'inbox-api' });
  registerAuditRoutes(http, { auth, store: auditStore, kafka, now });

  const subscriptions: Subscription[] = [];
  let stopping: Promise<void> | undefined;
  return {
    async start() {
      lease = await holdInstanceName(redis, { name: config.KAFKA_INSTANCE_NAME, instanceId, logger });
      await kafka.provisionTopics(ALL_TOPICS);
      // Listen first: taking incidents and serving inboxes needs only Kafka's producer and Redis, while each
      // consumer group may wait up to a session timeout (15 s) after an unclean stop before it rejoins.
      const address = await listen(http, { host: config.HTTP_HOST, port: config.HTTP_PORT });
      subscriptions.push(
        await startIdentityStage(kafka, directory, now),
        await startIgEngineStage(kafka, policy, now),
        await startDispatcherStage({ kafka, keys: keyStore, policy, lineage: createLineage(redis), now }),
        ...(await startChildProtectionNotifier({ kafka, keys: keyStore, policy: cpPolicy, directory, now })),
        ...(await startFlagViewProjector(kafka, createFlagView(redis), { logger })),
        await startInboxProjector(kafka, inbox, now),
        await startAuditProjector(kafka, auditStore),
        await startReceiptStatusProjector(kafka, receiptStatus),
      );
      await kafka.publish(serviceStarted, [
        { key: instanceId, value: { service: 'hub', instanceId, startedAt: now().toISOString() } },
      ]);
      logger.info(
        {
          instanceId,
          version,
          port: address.port,
          policyVersion: policy.version,
          cpPolicyVersion: cpPolicy.version,
          signingKid: keyStore.activeKid,
        },
        'hub started',
      );
      return address;
    },
    async reload() {
      const [clients, reference] = await Promise.all([registry.reload(), directory.reload()]);
      logger.info({ clients: clients.ok ? 'reloaded' : 'rejected', directory: reference.outcome }, 'reloaded');
    },
    stop() {
      stopping ??= (async () => {
        await closeGracefully(http, SHUTDOWN_GRACE_MS);
        await kafka.close();
        // After Kafka: the name's transactional producers are closed, so a successor may take the name.
        await lease?.release().catch(() => undefined);
        await closeRedis(redis);
        logger.info({ instanceId }, 'hub stopped');
      })();
      return stopping;
    },
  };
}
