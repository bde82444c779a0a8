import { readFile } from 'node:fs/promises';
import { closeGracefully, listen, type BoundAddress } from '@hub/http';
import type { Logger } from '@hub/logger';
import type { WitnessConfig } from './config.ts';
import { WitnessKeyError, loadWitnessKey } from './key.ts';
import { LogsFileError, parseLogsFile } from './logs.ts';
import { createWitnessServer } from './server.ts';
import { WitnessState } from './state.ts';
import { Witness } from './witness.ts';

/** Requests in flight get this long to finish on stop; each is one signature and one proof check. */
const STOP_TIMEOUT_MS = 5_000;

export interface RunningWitness {
  readonly address: BoundAddress;
  /** The witness's cosignature vkey (type 0x04): what logs and verifiers configure. */
  readonly vkey: string;
  stop(): Promise<void>;
}

/**
 * Starts a witness: reads its key (made on first run if so configured), the logs it witnesses and its state (taking
 * the state file's lock), then listens. Stopping lets requests in flight finish and releases the lock.
 */
export async function startWitness(
  config: WitnessConfig,
  logger: Logger,
  options: { readonly now?: () => number } = {},
): Promise<RunningWitness> {
  const key = await loadWitnessKey(
    config.WITNESS_KEY_FILE,
    config.WITNESS_KEY_GENERATE ? config.WITNESS_NAME : undefined,
  );
  if (config.WITNESS_NAME !== undefined && config.WITNESS_NAME !== key.name) {
    throw new WitnessKeyError('the key file holds a key of another name than WITNESS_NAME');
  }
  const logsText = await readFile(config.WITNESS_LOGS_FILE, 'utf8').catch(() => {
    throw new LogsFileError(undefined, 'WITNESS_LOGS_FILE cannot be read');
  });
  const logs = parseLogsFile(logsText);
  const state = await WitnessState.open(config.WITNESS_STATE_FILE);
  const witness = new Witness({ skey: key.skey, logs, state, logger, ...options });
  const app = createWitnessServer(witness, logger);
  let address: BoundAddress;
  try {
    address = await listen(app, { host: config.WITNESS_HOST, port: config.WITNESS_PORT });
  } catch (error) {
    await state.close();
    throw error;
  }
  logger.info({ url: address.url, vkey: key.vkey, logs: logs.size }, 'witness listening');
  return {
    address,
    vkey: key.vkey,
    async stop() {
      await closeGracefully(app, STOP_TIMEOUT_MS);
      await state.close();
    },
  };
}
