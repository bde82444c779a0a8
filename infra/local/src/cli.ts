/**
 * infra/local command line: `up`, `down [--wipe]`, `status`, `provision`.
 * Used by `./hub start|stop|status` and by the integration tests' global setup (through stack.ts).
 */
import { rmSync } from 'node:fs';
import { createLogger } from '@hub/logger';
import { readSettings } from './settings.ts';
import { down, provisionTopics, status, up } from './stack.ts';

const USAGE = 'usage: infra/local <up|down [--wipe]|status|provision>';

async function main(argv: readonly string[]): Promise<number> {
  const settings = readSettings();
  // Quiet by default: while the broker boots, every readiness probe would log a refused connection. Failures
  // that matter reach the user as thrown errors; LOG_LEVEL=debug shows the clients' own lines.
  const logger = createLogger({
    service: 'infra-local',
    level: process.env['LOG_LEVEL'] === 'debug' ? 'debug' : 'silent',
  });
  const print = (line: string) => process.stdout.write(`${line}\n`);
  switch (argv[0]) {
    case 'up': {
      const result = await up(settings, logger);
      print(`kafka  ${result.kafka.padEnd(15)} ${result.kafkaBrokers.join(',')}`);
      print(`redis  ${result.redis.padEnd(15)} ${result.redisUrl}`);
      return 0;
    }
    case 'down': {
      const result = await down(settings);
      print(`kafka  ${result.kafka}`);
      print(`redis  ${result.redis}`);
      if (argv.includes('--wipe')) {
        rmSync(settings.dataDir, { recursive: true, force: true });
        print(`wiped  ${settings.dataDir}`);
      }
      return 0;
    }
    case 'status': {
      const s = await status(settings, logger);
      const line = (name: string, part: StackPart) =>
        `${name}  ${part.answering ? 'running' : part.pid === undefined ? 'stopped' : 'not answering'}`.padEnd(24) +
        ` ${part.address}${part.pid === undefined ? '' : `  pid ${part.pid}`}`;
      print(line('kafka', s.kafka));
      print(line('redis', s.redis));
      print(`data   ${s.dataDir}`);
      return s.kafka.answering && s.redis.answering ? 0 : 3;
    }
    case 'provision':
      await provisionTopics(settings, logger);
      print('topics provisioned');
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

interface StackPart {
  readonly address: string;
  readonly pid: number | undefined;
  readonly answering: boolean;
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
