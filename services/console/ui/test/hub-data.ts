/*
 * What the console's tests look at: one incident through the whole real pipeline (received, matched, decided,
 * signed, stored), its GP practice pulling and acknowledging the notification, and console accounts to sign in with.
 */
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { askForRebuild, rebuildState } from '@hub/hub';
import { VICTIM_NHS_NUMBER, victimOnlyIncident, type TestHub } from '@hub/hub/testing';
import { createPostgres, type Postgres } from '@hub/postgres';
import { closeRedis, createRedis } from '@hub/redis';
import { generationSchema, postgresMarkers } from '@hub/runtime';
import { captureLogs, testEndpoints } from '@hub/testkit';
import { generateSignerKey } from '@hub/tlog';
import { startWitness, witnessEnv, type RunningWitness } from '@hub/witness';

export { VICTIM_NHS_NUMBER };

/**
 * Somerset's area IG officers: one signs in with a console account's password, the other through OpenID Connect
 * (NHS CIS2 in production) as the subject the identity provider vouches for.
 */
export const OFFICERS = {
  somerset: {
    id: 'somerset-ig-1',
    displayName: 'Sam Taylor',
    role: 'ig-officer',
    organisation: 'E06000066',
    username: 'sam.taylor',
    password: 'correct horse battery staple',
  },
  cis2: {
    id: 'somerset-ig-2',
    displayName: 'Robin Shah',
    role: 'ig-officer',
    organisation: 'E06000066',
    oidcSubject: '555042709107',
  },
} as const;

export async function writeAccountsFile(dir: string, hashPassword: (password: string) => Promise<string>) {
  const file = path.join(dir, 'console-accounts.json');
  const { password, ...local } = OFFICERS.somerset;
  const accounts = [{ ...local, passwordHash: await hashPassword(password) }, OFFICERS.cis2];
  await writeFile(file, `${JSON.stringify({ accounts }, null, 2)}\n`, { mode: 0o600 });
  return file;
}

interface InboxItem {
  readonly id: string;
}

/** Posts the incident and waits for its GP notification; the practice fetches it and acknowledges it. */
export async function runIncident(hub: TestHub, incidentId: string) {
  // A client retries 503 not-ready (the views are still being built just after start), as the API says.
  let posted: Response;
  const readyDeadline = Date.now() + 60_000;
  for (;;) {
    posted = await hub.call('police', '/v1/domestic-abuse-incidents', {
      method: 'POST',
      body: JSON.stringify(victimOnlyIncident(incidentId)),
    });
    if (posted.status !== 503 || Date.now() > readyDeadline) break;
    await sleep(500);
  }
  expect(posted.status, await posted.clone().text()).toBe(202);
  const { receiptId } = (await posted.json()) as { receiptId: string };
  // Polled by hand: this runs in beforeAll, where vitest's expect.poll is not allowed.
  let items: InboxItem[] = [];
  const inboxDeadline = Date.now() + 30_000;
  while (items.length === 0) {
    if (Date.now() > inboxDeadline) throw new Error('no notification reached the GP inbox within 30 s');
    await sleep(250);
    const response = await hub.call('gpVictim', '/v1/inboxes/gp:L85901/notifications?limit=100');
    if (response.status === 200) items = ((await response.json()) as { items: InboxItem[] }).items;
  }
  const notificationId = items[0]?.id;
  if (notificationId === undefined) throw new Error('the GP inbox holds no notification');
  const acknowledged = await hub.call(
    'gpVictim',
    `/v1/inboxes/gp:L85901/notifications/${notificationId}/acknowledgement`,
    { method: 'POST' },
  );
  expect(acknowledged.status, await acknowledged.clone().text()).toBe(200);
  // The trail is a projection of the audit topic: wait until it holds the whole story, acknowledgement included.
  const trailDeadline = Date.now() + 30_000;
  for (;;) {
    const response = await hub.call('igOfficer', `/v1/audit/events?receiptId=${receiptId}&limit=200`);
    const page = response.status === 200 ? ((await response.json()) as { items: { action: string }[] }) : null;
    if (page?.items.some((event) => event.action === 'notification-acknowledged') === true) break;
    if (Date.now() > trailDeadline) throw new Error('the audit trail did not show the acknowledgement within 30 s');
    await sleep(250);
  }
  return { receiptId, incidentRef: `ASP:${incidentId}`, notificationId };
}

const ORIGIN = 'hub.test/console-e2e';
const logs = captureLogs('console-ui-e2e');

/**
 * A witness process of its own (another organisation's, in production) that knows the log's public key, and the
 * hub's environment to sign its audit log with that key and have each checkpoint cosigned by it.
 */
export async function startLogWitness(dir: string): Promise<{ witness: RunningWitness; env: Record<string, string> }> {
  const log = generateSignerKey(ORIGIN);
  const keyFile = path.join(dir, 'audit-log.skey');
  await writeFile(keyFile, `${log.skey}\n`);
  await chmod(keyFile, 0o600);
  await writeFile(path.join(dir, 'witnessed-logs.txt'), `${ORIGIN} ${log.vkey}\n`);
  const witness = await startWitness(
    witnessEnv.parse({
      WITNESS_PORT: '0',
      WITNESS_KEY_FILE: path.join(dir, 'witness.key'),
      WITNESS_KEY_GENERATE: 'true',
      WITNESS_NAME: 'witness.test/console',
      WITNESS_STATE_FILE: path.join(dir, 'witness-state.json'),
      WITNESS_LOGS_FILE: path.join(dir, 'witnessed-logs.txt'),
    }),
    logs.logger,
  );
  const env = {
    AUDIT_LOG_ORIGIN: ORIGIN,
    AUDIT_LOG_KEY_FILE: keyFile,
    AUDIT_WITNESSES: `${witness.address.url} ${witness.vkey}`,
    // Verified when the officer asks (the console's "Verify now"), not on a schedule during the test.
    AUDIT_LOG_VERIFY_INTERVAL_SECONDS: '3600',
  };
  return { witness, env };
}

/** The deployment's base schema, where the views' markers are (and through which they are read and written). */
function baseStore(hub: TestHub): Postgres {
  const { postgresUrl } = testEndpoints();
  return createPostgres({
    url: postgresUrl,
    schema: hub.postgresSchema,
    applicationName: 'console-ui-e2e',
    logger: logs.logger,
  });
}

/**
 * The audit view's tables, as someone with database access sees them: the schema of the generation served
 * (`<deployment schema>_audit_<generation>`).
 */
export async function auditStore(hub: TestHub): Promise<Postgres> {
  const base = baseStore(hub);
  let generation: string | null;
  try {
    generation = await postgresMarkers(base).read('audit');
  } finally {
    await base.close();
  }
  if (generation === null) throw new Error('the audit view is not served');
  return createPostgres({
    url: testEndpoints().postgresUrl,
    schema: generationSchema(hub.postgresSchema, 'audit', generation),
    applicationName: 'console-ui-e2e',
    logger: logs.logger,
  });
}

/** `./hub rebuild audit`: a new generation of the audit view replayed from Kafka, followed until it is served. */
export async function rebuildAuditView(hub: TestHub): Promise<void> {
  const redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: hub.redisPrefix,
    connectionName: 'console-ui-e2e',
    logger: logs.logger,
  });
  const base = baseStore(hub);
  const markers = postgresMarkers(base);
  try {
    const [asked] = await askForRebuild(redis, ['audit'], { postgres: markers });
    if (asked === undefined) throw new Error('no rebuild asked for');
    const deadline = Date.now() + 120_000;
    while ((await rebuildState(redis, 'audit', asked.generation, markers)).state !== 'served') {
      if (Date.now() > deadline) throw new Error('the audit view was not rebuilt within 120 s');
      await sleep(250);
    }
  } finally {
    await closeRedis(redis);
    await base.close();
  }
}
