import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { ALL_TOPICS } from '@hub/contracts';
import { createKafkaClient } from '@hub/kafka';
import { createLogger } from '@hub/logger';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, portIsOpen } from './processes.ts';

// Drives the real CLI (`./hub infra ...`) against private stacks on free ports and temp data dirs, so it never
// touches the stack the other integration tests use.
const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, 'cli.ts');
const dataDirs: string[] = [];

interface PrivateStack {
  readonly dataDir: string;
  readonly ports: {
    readonly kafka: number;
    readonly controller: number;
    readonly redis: number;
    readonly postgres: number;
    readonly hub: number;
  };
  readonly env: NodeJS.ProcessEnv;
}

async function privateStack(): Promise<PrivateStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hub-infra-local-'));
  // mkdtemp makes it 0700; PostgreSQL, run as the postgres account when the tests run as root, must reach inside.
  chmodSync(dataDir, 0o755);
  dataDirs.push(dataDir);
  const [kafka, controller, redis, postgres, hub] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env = {
    ...process.env,
    LOCAL_DATA_DIR: dataDir,
    LOCAL_KAFKA_PORT: String(kafka),
    LOCAL_KAFKA_CONTROLLER_PORT: String(controller),
    LOCAL_REDIS_PORT: String(redis),
    LOCAL_POSTGRES_PORT: String(postgres),
    LOCAL_HUB_PORT: String(hub),
  };
  return { dataDir, ports: { kafka, controller, redis, postgres, hub }, env };
}

/** A private stack whose Kafka ports have their cluster neighbours (+10, +20) free too, for `up --brokers 3`. */
async function clusterStack(): Promise<PrivateStack> {
  for (;;) {
    const stack = await privateStack();
    const { kafka, controller } = stack.ports;
    const neighbours = [kafka + 10, kafka + 20, controller + 10, controller + 20];
    const taken = await Promise.all(neighbours.map((port) => portIsOpen(port)));
    const clash = Object.values(stack.ports).some((port) => neighbours.includes(port));
    if (!clash && !taken.some(Boolean) && neighbours.every((port) => port <= 65_535)) return stack;
  }
}

async function infra(stack: PrivateStack, ...args: string[]): Promise<{ code: number; out: string; ms: number }> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: stack.env, timeout: 150_000 });
    return { code: 0, out: `${stdout}${stderr}`, ms: Date.now() - started };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}`, ms: Date.now() - started };
  }
}

/** Processes whose command line names the data dir: our broker (its log4j path) and PostgreSQL (its -D). Redis
 * rewrites its process title to `redis-server 127.0.0.1:<port>`, so `listening` finds it by its port. */
function processesOf(dataDir: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dataDir));
}

async function listening(stack: PrivateStack): Promise<number[]> {
  const ports = [stack.ports.kafka, stack.ports.controller, stack.ports.redis, stack.ports.postgres];
  const open = await Promise.all(ports.map((port) => portIsOpen(port)));
  return ports.filter((_, index) => open[index]);
}

/** A plain TCP server holding a port, as another program on a shared machine would. */
async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const main = await privateStack();

afterAll(async () => {
  await infra(main, 'down');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('infra/local CLI', () => {
  it(
    'up, status and down each work twice in a row, and status reports every address',
    { timeout: 300_000 },
    async () => {
      const { kafka, redis, postgres, hub } = main.ports;
      const postgresUrl = `postgres://hub@127\\.0\\.0\\.1:${postgres}/hub`;
      const firstUp = await infra(main, 'up');
      expect(firstUp).toMatchObject({ code: 0 });
      expect(firstUp.out).toMatch(new RegExp(`kafka\\s+started\\s+127\\.0\\.0\\.1:${kafka}`));
      expect(firstUp.out).toMatch(new RegExp(`redis\\s+started\\s+redis://127\\.0\\.0\\.1:${redis}`));
      expect(firstUp.out).toMatch(new RegExp(`postgres\\s+started\\s+${postgresUrl}`));

      // Our own stack on this data dir holds the ports: no conflict.
      const secondUp = await infra(main, 'up');
      expect(secondUp.code).toBe(0);
      expect(secondUp.out).toMatch(/kafka\s+already-running/);
      expect(secondUp.out).toMatch(/redis\s+already-running/);
      expect(secondUp.out).toMatch(/postgres\s+already-running/);

      // The same data dir asked for on other ports: refused at once, not a 90 s wait on the wrong port.
      const otherRedis = await freePort();
      const elsewhere = await infra({ ...main, env: { ...main.env, LOCAL_REDIS_PORT: String(otherRedis) } }, 'up');
      expect(elsewhere.code).toBe(1);
      expect(elsewhere.out).toContain(
        `Redis of ${main.dataDir} is running on redis://127.0.0.1:${redis}, not redis://127.0.0.1:${otherRedis}`,
      );
      expect(elsewhere.ms).toBeLessThan(10_000);

      for (let i = 0; i < 2; i++) {
        const status = await infra(main, 'status');
        expect(status.code).toBe(0);
        expect(status.out).toMatch(new RegExp(`kafka\\s+running\\s+127\\.0\\.0\\.1:${kafka}`));
        expect(status.out).toMatch(new RegExp(`redis\\s+running\\s+redis://127\\.0\\.0\\.1:${redis}`));
        expect(status.out).toMatch(new RegExp(`postgres\\s+running\\s+${postgresUrl}`));
        expect(status.out).toMatch(new RegExp(`hub\\s+not listening\\s+http://127\\.0\\.0\\.1:${hub}`));
      }

      const firstDown = await infra(main, 'down');
      expect(firstDown.code).toBe(0);
      expect(firstDown.out).toMatch(/kafka\s+stopped/);
      expect(firstDown.out).toMatch(/redis\s+stopped/);
      expect(firstDown.out).toMatch(/postgres\s+stopped/);
      // Fast shutdown, not a kill: PostgreSQL wrote its shutdown checkpoint.
      expect(readFileSync(path.join(main.dataDir, 'postgres/postgres.log'), 'utf8')).toContain(
        'database system is shut down',
      );
      const secondDown = await infra(main, 'down');
      expect(secondDown.code).toBe(0);
      expect(secondDown.out).toMatch(/kafka\s+not-running/);

      const stoppedStatus = await infra(main, 'status');
      expect(stoppedStatus.code).toBe(3);
      expect(stoppedStatus.out).toMatch(/kafka\s+stopped/);
      expect(stoppedStatus.out).toMatch(/redis\s+stopped/);
      expect(stoppedStatus.out).toMatch(/postgres\s+stopped/);
      expect(processesOf(main.dataDir)).toEqual([]);
      expect(await listening(main)).toEqual([]);
    },
  );

  it(
    "up --brokers 3: the stack's Kafka is a three-broker cluster with the production durability; one node of it is refused, down stops all three",
    { timeout: 400_000 },
    async () => {
      const stack = await clusterStack();
      const { kafka, controller } = stack.ports;
      const brokers = [kafka, kafka + 10, kafka + 20].map((port) => `127.0.0.1:${port}`).join(',');
      try {
        const up = await infra(stack, 'up', '--brokers', '3');
        expect(up).toMatchObject({ code: 0 });
        expect(up.out).toMatch(new RegExp(`kafka\\s+started\\s+${brokers.replaceAll('.', '\\.')}`));
        expect(up.out).toContain(`KAFKA_BROKERS=${brokers} KAFKA_DURABILITY=production`);
        // Three JVMs of ours, each on its own broker and controller port.
        const nodes = processesOf(stack.dataDir).filter((line) => line.includes('kafka.Kafka'));
        expect(nodes).toHaveLength(3);
        const ports = [kafka, kafka + 10, kafka + 20, controller, controller + 10, controller + 20];
        expect(await Promise.all(ports.map((port) => portIsOpen(port)))).toEqual(ports.map(() => true));

        const again = await infra({ ...stack, env: { ...stack.env, LOCAL_KAFKA_BROKERS: '3' } }, 'up');
        expect(again.out).toMatch(/kafka\s+already-running/);
        // The topics were provisioned with 3 replicas, 2 in sync: provisioning them again with the production
        // profile creates and alters nothing (a min.insync.replicas of 1 would be altered) and warns of no
        // replication factor other than 3.
        const lines: string[] = [];
        const destination = new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(chunk.toString('utf8'));
            done();
          },
        });
        const client = createKafkaClient({
          brokers: brokers.split(','),
          clientId: 'cli-test',
          durability: 'production',
          logger: createLogger({ service: 'cli-test', level: 'warn', destination }),
        });
        try {
          const report = await client.provisionTopics(ALL_TOPICS);
          expect({ created: report.created, altered: report.altered }).toEqual({ created: [], altered: [] });
          expect(report.unchanged.length).toBe(ALL_TOPICS.length * 2);
          expect(lines.join('')).not.toContain('replication factor differs');
        } finally {
          await client.close();
        }
        const status = await infra({ ...stack, env: { ...stack.env, LOCAL_KAFKA_BROKERS: '3' } }, 'status');
        expect(status.code).toBe(0);
        expect(status.out).toMatch(new RegExp(`kafka\\s+running\\s+${brokers.replaceAll('.', '\\.')}`));

        // Asked for one broker while the three run: refused at once, naming the variable, nothing started.
        const single = await infra(stack, 'up');
        expect(single.code).toBe(1);
        expect(single.out).toContain(`Kafka of ${stack.dataDir} is running as 3 brokers, not 1 (LOCAL_KAFKA_BROKERS)`);
        expect(single.ms).toBeLessThan(10_000);

        const down = await infra(stack, 'down');
        expect(down.out).toMatch(/kafka\s+stopped/);
        // Every broker of the stack is gone. Its ports are not asked again: another process on the machine may take
        // a port the moment this stack let it go (seen in CI, when integration files ran two at a time: 2 of the 6).
        expect(processesOf(stack.dataDir)).toEqual([]);
      } finally {
        await infra(stack, 'down');
      }
    },
  );

  it('refuses a bad port setting with a clear message naming the variable', async () => {
    const { code, out } = await infra({ ...main, env: { ...main.env, LOCAL_REDIS_PORT: 'not-a-port' } }, 'status');
    expect(code).toBe(1);
    expect(out).toContain('LOCAL_REDIS_PORT must be a port between 1024 and 65535');
  });

  it('answers --help on stdout with exit 0, and an unknown command with exit 2', async () => {
    const help = await infra(main, '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: \.\/hub infra <command>/);
    const variables = ['LOCAL_KAFKA_PORT', 'LOCAL_KAFKA_CONTROLLER_PORT', 'LOCAL_REDIS_PORT', 'LOCAL_POSTGRES_PORT'];
    for (const variable of [...variables, 'LOCAL_HUB_PORT']) {
      expect(help.out).toContain(variable);
    }
    expect((await infra(main, 'sideways')).code).toBe(2);
  });
});

describe('infra/local when the start cannot succeed', () => {
  it('fails at once when another program holds the Redis port, naming the variable, and starts nothing', async () => {
    const stack = await privateStack();
    const squatter = await occupy(stack.ports.redis);
    try {
      const result = await infra(stack, 'up');
      expect(result.code).toBe(1);
      expect(result.out).toBe(
        `infra/local: port ${stack.ports.redis} is taken by another program; set LOCAL_REDIS_PORT to a free port\n` +
          'Nothing was started.\n',
      );
      expect(result.ms).toBeLessThan(10_000);
      expect(processesOf(stack.dataDir)).toEqual([]);
      expect(await listening(stack)).toEqual([stack.ports.redis]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('fails at once when another program holds the PostgreSQL port (a system PostgreSQL), naming the variable', async () => {
    const stack = await privateStack();
    const squatter = await occupy(stack.ports.postgres);
    try {
      const result = await infra(stack, 'up');
      expect(result.code).toBe(1);
      expect(result.out).toContain(
        `port ${stack.ports.postgres} is taken by another program; set LOCAL_POSTGRES_PORT to a free port`,
      );
      expect(processesOf(stack.dataDir)).toEqual([]);
      expect(await listening(stack)).toEqual([stack.ports.postgres]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('with --check-hub-port (./hub start), a taken hub port stops it before anything starts', async () => {
    const stack = await privateStack();
    const squatter = await occupy(stack.ports.hub);
    try {
      const result = await infra(stack, 'up', '--check-hub-port');
      expect(result.code).toBe(1);
      expect(result.out).toContain(`port ${stack.ports.hub} is taken by a hub already running or another program`);
      expect(result.out).toContain('set LOCAL_HUB_PORT to a free port');
      expect(processesOf(stack.dataDir)).toEqual([]);
      expect(await listening(stack)).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it(
    'stops the Redis and PostgreSQL it started when the broker refuses its formatted storage, and reports the broker log',
    { timeout: 180_000 },
    async () => {
      const stack = await privateStack();
      // Storage "formatted" for another node: the broker reads it, refuses it and exits during start-up, after
      // Redis (started alongside) is already up.
      mkdirSync(path.join(stack.dataDir, 'kafka/data'), { recursive: true });
      writeFileSync(path.join(stack.dataDir, 'kafka/data/meta.properties'), 'version=1\ncluster.id=\nnode.id=7\n');
      const result = await infra(stack, 'up');
      expect(result.code).toBe(1);
      expect(result.out).toContain(`Kafka at 127.0.0.1:${stack.ports.kafka}: the broker exited during start-up`);
      expect(result.out).toContain("Stored node id 7 doesn't match previous node id 1");
      expect(result.out).not.toMatch(/redis\s+started/);
      expect(processesOf(stack.dataDir)).toEqual([]);
      expect(await listening(stack)).toEqual([]);
      // Redis did start: its log shows it, so the test proves it was stopped, not that it never ran.
      expect(readFileSync(path.join(stack.dataDir, 'redis/redis.log'), 'utf8')).toMatch(/Ready to accept connections/);
      // So did PostgreSQL, and it was shut down cleanly, not killed.
      const postgresLog = readFileSync(path.join(stack.dataDir, 'postgres/postgres.log'), 'utf8');
      expect(postgresLog).toMatch(/database system is ready to accept connections[\s\S]*database system is shut down/);
    },
  );
});
