import { ConfigError } from '@hub/config';
import { createLogger } from '@hub/logger';
import { loadHubConfig } from './config.ts';
import { createRuntime } from './runtime.ts';
import type { ServiceFactory } from './service.ts';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * A process's `main`: reads the configuration (the same keys for every process: services/hub/README.md), runs the
 * services, reloads on SIGHUP, stops gracefully on SIGTERM and SIGINT.
 */
export async function runMain(name: string, services: readonly ServiceFactory[]): Promise<void> {
  let config;
  try {
    config = loadHubConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const runtime = await createRuntime({ name, config, logger, services });

  process.on('SIGHUP', () => {
    runtime.reload().catch((error: unknown) => {
      logger.error({ err: error }, 'reload failed');
    });
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'stopping');
      runtime.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
    });
  }

  try {
    const address = await runtime.start();
    logger.info({ url: address.url }, 'listening');
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    await runtime.stop().catch(() => undefined);
    process.exit(1);
  }
}
