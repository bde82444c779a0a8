/**
 * Operators' view of the dead-letter topics (`<topic>.dlq`):
 *   ./hub dlq                                        what each topic's DLQ holds: place, reason, detail, origin
 *   ./hub dlq redrive <topic> <partition> <offset>   publish that handler-failed record to its topic again
 * Listings carry coordinates, reasons and details only, never keys or values (which may hold personal data).
 * Reads KAFKA_BROKERS and KAFKA_TOPIC_NAMESPACE and LOG_LEVEL (default warn). `./hub dlq` runs it with
 * infra/local/src/local-env.ts preloaded, so KAFKA_BROKERS defaults to the local stack's broker (LOCAL_KAFKA_PORT).
 */
import { ALL_TOPICS } from '@hub/contracts';
import { ConfigError, kafkaEnv, loadConfig, logEnv } from '@hub/config';
import { createKafkaClient, kafkaSecurityOf, RedriveRefusedError } from '@hub/kafka';
import { createLogger } from '@hub/logger';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const USAGE = 'usage: ./hub dlq [list [topic]] | ./hub dlq redrive <topic> <partition> <offset>';
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}

  list [topic]                          what each dead-letter topic holds (or one topic's): partition, offset, reason,
                                        origin, time, consumer group, detail; never keys or values
  redrive <topic> <partition> <offset>  publish that handler-failed record to <topic> again, once its cause is fixed

Kafka: KAFKA_BROKERS (${process.env['KAFKA_BROKERS'] ?? 'unset'}), KAFKA_TOPIC_NAMESPACE (the hub's; default none).
`);
  process.exit(0);
}

let config;
try {
  config = loadConfig(kafkaEnv.extend(logEnv.shape), { LOG_LEVEL: 'warn', ...process.env });
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const [command = 'list', topicName, partition, offset] = args;
if (command !== 'list' && !(command === 'redrive' && offset !== undefined)) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const kafka = createKafkaClient({
  brokers: config.KAFKA_BROKERS,
  clientId: 'hub-dlq',
  topicNamespace: config.KAFKA_TOPIC_NAMESPACE,
  security: kafkaSecurityOf(config),
  logger: createLogger({ service: 'hub-dlq', level: config.LOG_LEVEL }),
});

try {
  if (command === 'list') {
    for (const topic of ALL_TOPICS.filter((candidate) => topicName === undefined || candidate.name === topicName)) {
      const { entries, more } = await kafka.deadLetters(topic);
      process.stdout.write(`${topic.name}.dlq: ${entries.length}${more ? '+' : ''} dead letters\n`);
      for (const entry of entries) {
        process.stdout.write(
          `  ${entry.partition} ${entry.offset}  ${entry.reason}  from ${entry.original.partition}:${entry.original.offset}` +
            `  at ${entry.failedAt}  by ${entry.consumerGroup}  ${entry.detail}\n`,
        );
      }
    }
  } else if (topicName !== undefined && partition !== undefined && offset !== undefined) {
    const topic = ALL_TOPICS.find((candidate) => candidate.name === topicName) ?? fail(`unknown topic ${topicName}`);
    if (!/^\d+$/.test(partition) || !/^\d+$/.test(offset)) fail('partition and offset are whole numbers');
    const entry = await kafka.redrive(topic, { partition: Number(partition), offset });
    process.stdout.write(
      `redriven: ${topic.name}.dlq ${entry.partition}:${entry.offset} -> ${topic.name} ` +
        `(first at ${entry.original.partition}:${entry.original.offset})\n`,
    );
  }
} catch (error) {
  if (error instanceof RedriveRefusedError) fail(`refused: ${error.message}`);
  throw error;
} finally {
  await kafka.close();
}
