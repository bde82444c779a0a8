/**
 * infra/local command line: `up [--brokers 1|3] [--check-hub-port]`, `down [--wipe]`, `status`, `provision`, `sasl`,
 * `--help`.
 * Used by `./hub start|stop|status|infra` and by the integration tests' global setup (through stack.ts).
 */
import { rmSync } from 'node:fs';
import { createLogger } from '@hub/logger';
import {
  DEFAULT_PORTS,
  KAFKA_NODE_COUNTS,
  KAFKA_NODE_PORT_STEP,
  KAFKA_NODES_VARIABLE,
  PORT_VARIABLES,
  readSettings,
  type PortName,
} from './settings.ts';
import {
  DEFAULT_SASL_PORTS,
  readSaslSettings,
  SASL_PORT_VARIABLES,
  startSaslBroker,
  stopSaslBroker,
} from './sasl-broker.ts';
import { down, provisionTopics, status, up, type PartStatus } from './stack.ts';

const HELP = `usage: ./hub infra <command>        (node infra/local/src/cli.ts <command>)

  up [--brokers 1|3] [--check-hub-port]
                         start Kafka, Redis and PostgreSQL (each unless already running), wait until all answer,
                         create the hub database, provision every topic; fails before starting anything if a port
                         is taken, naming the variable to set (--check-hub-port: also LOCAL_HUB_PORT, where
                         ./hub start runs the hub next). --brokers 3 (or ${KAFKA_NODES_VARIABLE}=3): Kafka is a
                         three-broker KRaft cluster (replication 3, 2 in sync; topics take the production
                         durability profile), node n on LOCAL_KAFKA_PORT and LOCAL_KAFKA_CONTROLLER_PORT
                         + ${KAFKA_NODE_PORT_STEP}(n - 1)
  down [--wipe]          stop all three cleanly (SIGKILL, SIGQUIT for PostgreSQL, only after 30 s); --wipe also
                         deletes the data dir
  status                 running / stopped / not answering, with addresses and pids (exit 3 unless all answer)
  provision              create or align the topics only
  sasl [down]            start (or stop) a separate broker that only speaks SASL_SSL (SCRAM-SHA-512 over TLS),
                         certificates made by keytool, users made at format; prints the KAFKA_* keys that reach it

Where (the same variables move ./hub start, token, verify, dlq and bench):
${(Object.keys(PORT_VARIABLES) as PortName[])
  .map((name) => `  ${PORT_VARIABLES[name].padEnd(28)} default ${DEFAULT_PORTS[name]}`)
  .join('\n')}
  ${'LOCAL_DATA_DIR'.padEnd(28)} default .data/local (data, logs, pid files)
  ${KAFKA_NODES_VARIABLE.padEnd(28)} default 1 (${KAFKA_NODE_COUNTS.join(' or ')} Kafka nodes; up --brokers says it once)
  ${SASL_PORT_VARIABLES.port.padEnd(28)} default ${DEFAULT_SASL_PORTS.port} (the SASL_SSL broker of \`sasl\`)
  ${SASL_PORT_VARIABLES.controllerPort.padEnd(28)} default ${DEFAULT_SASL_PORTS.controllerPort}
`;

async function main(argv: readonly string[]): Promise<number> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  if (argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const brokersAt = argv.indexOf('--brokers');
  const brokers = brokersAt === -1 ? undefined : (argv[brokersAt + 1] ?? '');
  const settings = readSettings(
    brokers === undefined ? process.env : { ...process.env, [KAFKA_NODES_VARIABLE]: brokers },
  );
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
      if (settings.kafkaNodes > 1)
        print(`          KAFKA_BROKERS=${result.kafkaBrokers.join(',')} KAFKA_DURABILITY=production`);
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
