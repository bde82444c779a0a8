/**
 * The all-in-one hub process: `node services/hub/src/main.ts`. Configuration comes from the environment
 * (services/hub/README.md lists the keys); SIGTERM and SIGINT stop it gracefully.
 */
import { ConfigError } from '@hub/config';
import { createLogger } from '@hub/logger';
import { loadHubConfig } from './config.ts';
import { createHub } from './hub.ts';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let config;
try {
  config = loadHubConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const logger = createLogger({ service: 'hub', level: config.LOG_LEVEL });
const hub = await createHub({ config, logger });

process.on('SIGHUP', () => {
  hub.reload().catch((error: unknown) => {
    logger.error({ err: error }, 'reload failed');
  });
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    hub.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  });
}

try {
  const address = await hub.start();
  logger.info({ url: address.url }, 'listening');
} catch (error) {
  logger.fatal({ err: error }, 'start failed');
  await hub.stop().catch(() => undefined);
  process.exit(1);
}
