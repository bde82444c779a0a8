/**
 * infra/local command line: `up [--check-hub-port]`, `down [--wipe]`, `status`, `provision`, `--help`.
 * Used by `./hub start|stop|status|infra` and by the integration tests' global setup (through stack.ts).
 */
import { rmSync } from 'node:fs';
import { createKafkaClient } from '@hub/kafka';
import { createLogger } from '@hub/logger';
import { DEFAULT_PORTS, PORT_VARIABLES, readSettings, type PortName } from './settings.ts';
import {
  CLUSTER_PORT_VARIABLE,
  DEFAULT_CLUSTER_BASE_PORT,
  readClusterSettings,
  startKafkaCluster,
  stopKafkaCluster,
} from './kafka-cluster.ts';
import {
  DEFAULT_SASL_PORTS,
  readSaslSettings,
  SASL_PORT_VARIABLES,
  startSaslBroker,
  stopSaslBroker,
} from './sasl-broker.ts';
import { down, provisionTopics, status, up, type PartStatus } from './stack.ts';

const HELP = `usage: ./hub infra <command>        (node infra/local/src/cli.ts <command>)

  up [--check-hub-port]  start Kafka, Redis and PostgreSQL (each unless already running), wait until all answer,
                         create the hub database, provision every topic; fails before starting anything if a port
                         is taken, naming the variable to set (--check-hub-port: also LOCAL_HUB_PORT, where
                         ./hub start runs the hub next)
  down [--wipe]          stop all three cleanly (SIGKILL, SIGQUIT for PostgreSQL, only after 30 s); --wipe also
                         deletes the data dir
  status                 running / stopped / not answering, with addresses and pids (exit 3 unless all answer)
  provision              create or align the topics only
  cluster [down]         start (or stop) a separate three-broker KRaft cluster (replication 3, 2 in sync) on its own
                         ports; prints the KAFKA_BROKERS that reach it (KAFKA_DURABILITY=production works on it)
  sasl [down]            start (or stop) a separate broker that only speaks SASL_SSL (SCRAM-SHA-512 over TLS),
                         certificates made by keytool, users made at format; prints the KAFKA_* keys that reach it

Where (the same variables move ./hub start, token, verify, dlq and bench):
${(Object.keys(PORT_VARIABLES) as PortName[])
  .map((name) => `  ${PORT_VARIABLES[name].padEnd(28)} default ${DEFAULT_PORTS[name]}`)
  .join('\n')}
  ${'LOCAL_DATA_DIR'.padEnd(28)} default .data/local (data, logs, pid files)
  ${CLUSTER_PORT_VARIABLE.padEnd(28)} default ${DEFAULT_CLUSTER_BASE_PORT} (cluster: brokers base..base+2, controllers base+10..)
  ${SASL_PORT_VARIABLES.port.padEnd(28)} default ${DEFAULT_SASL_PORTS.port} (the SASL_SSL broker of \`sasl\`)
  ${SASL_PORT_VARIABLES.controllerPort.padEnd(28)} default ${DEFAULT_SASL_PORTS.controllerPort}
`;

async function main(argv: readonly string[]): Promise<number> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  if (argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const settings = readSettings();
  // Quiet by default: while the broker boots, every readiness probe would log a refused connection. Failures
  // that matter reach the user as thrown errors; LOG_LEVEL=debug shows the clients' own lines.
  const logger = createLogger({
    service: 'infra-local',
    level: process.env['LOG_LEVEL'] === 'debug' ? 'debug' : 'silent',
  });
  switch (argv[0]) {
    case 'up': {
      const result = await up(settings, logger, { hub: argv.includes('--check-hub-port') });
      print(`kafka     ${result.kafka.padEnd(15)} ${result.kafkaBrokers.join(',')}`);
      print(`redis     ${result.redis.padEnd(15)} ${result.redisUrl}`);
      print(`postgres  ${result.postgres.padEnd(15)} ${result.postgresUrl}`);
      return 0;
    }
    case 'down': {
      const result = await down(settings);
      print(`kafka     ${result.kafka}`);
      print(`redis     ${result.redis}`);
      print(`postgres  ${result.postgres}`);
      if (argv.includes('--wipe')) {
        rmSync(settings.dataDir, { recursive: true, force: true });
        print(`wiped     ${settings.dataDir}`);
      }
      return 0;
    }
    case 'status': {
      const s = await status(settings, logger);
      const line = (name: string, part: PartStatus) =>
        `${name.padEnd(8)}  ${part.answering ? 'running' : part.pid === undefined ? 'stopped' : 'not answering'}`.padEnd(
          27,
        ) + ` ${part.address}${part.pid === undefined ? '' : `  pid ${part.pid}`}`;
      print(line('kafka', s.kafka));
      print(line('redis', s.redis));
      print(line('postgres', s.postgres));
      print(`${`hub       ${s.hub.listening ? 'listening' : 'not listening'}`.padEnd(27)} ${s.hub.address}`);
      print(`data      ${s.dataDir}`);
      return s.kafka.answering && s.redis.answering && s.postgres.answering ? 0 : 3;
    }
    case 'cluster': {
      const cluster = readClusterSettings(settings);
      if (argv[1] === 'down') {
        print(`kafka-cluster  ${(await stopKafkaCluster(cluster)).join(' ')}`);
        return 0;
      }
      // Ready when each node answers on its own (a client bootstrapped from all three is answered by any one).
      const probes = cluster.brokerPorts.map((port) =>
        createKafkaClient({ brokers: [`127.0.0.1:${port}`], clientId: 'infra-local-cluster', logger }),
      );
      try {
        const brokers = await startKafkaCluster(cluster, async () =>
          (await Promise.all(probes.map((probe) => probe.ping(2_000)))).every(Boolean),
        );
        print(`KAFKA_BROKERS=${brokers.join(',')}`);
      } finally {
        await Promise.all(probes.map((probe) => probe.close()));
      }
      return 0;
    }
    case 'sasl': {
      const sasl = readSaslSettings(settings);
      if (argv[1] === 'down') {
        print(`kafka-sasl  ${await stopSaslBroker(sasl)}`);
        return 0;
      }
      const env = await startSaslBroker(sasl, logger);
      for (const [key, value] of Object.entries(env)) print(`${key}=${value}`);
      return 0;
    }
    case 'provision':
      await provisionTopics(settings, logger);
      print('topics provisioned');
      return 0;
    default:
      process.stderr.write(HELP);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`infra/local: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
