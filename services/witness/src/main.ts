/**
 * The witness process: `./hub witness` (or `node services/witness/src/main.ts`), configured by WITNESS_* variables
 * (README). `./hub witness vkey` prints the cosignature vkey of WITNESS_KEY_FILE and starts nothing.
 */
import { ConfigError, loadConfig } from '@hub/config';
import { createLogger } from '@hub/logger';
import { witnessEnv } from './config.ts';
import { loadWitnessKey } from './key.ts';
import { startWitness } from './start.ts';

const HELP = `usage: ./hub witness [vkey]

Runs a C2SP tlog-witness: POST /add-checkpoint cosigns a checkpoint of a configured log when it is consistent with
the last one cosigned; GET /<sha256(origin) hex>/checkpoint serves that one. "vkey" prints the witness's public
cosignature key and exits. Configuration (environment):
  WITNESS_KEY_FILE       the Ed25519 signer key file (0600)            required
  WITNESS_KEY_GENERATE   true: make the key file on first run          default false
  WITNESS_NAME           the key's name (required to generate)
  WITNESS_STATE_FILE     the last cosigned checkpoint per log (JSON)   required
  WITNESS_LOGS_FILE      "<origin> <log vkey>" per line                required
  WITNESS_HOST           default 127.0.0.1
  WITNESS_PORT           default 8090
  LOG_LEVEL              default info
`;

const [command] = process.argv.slice(2);
if (command === '--help' || command === '-h') {
  process.stdout.write(HELP);
  process.exit(0);
}
if (command !== undefined && command !== 'vkey') {
  process.stderr.write(HELP);
  process.exit(2);
}

let config;
try {
  config = loadConfig(witnessEnv);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
const logger = createLogger({ service: 'witness', level: config.LOG_LEVEL });

if (command === 'vkey') {
  const key = await loadWitnessKey(
    config.WITNESS_KEY_FILE,
    config.WITNESS_KEY_GENERATE ? config.WITNESS_NAME : undefined,
  );
  process.stdout.write(`${key.vkey}\n`);
  process.exit(0);
}

let witness;
try {
  witness = await startWitness(config, logger);
} catch (error) {
  logger.fatal({ err: error }, 'start failed');
  process.exit(1);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    witness.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  });
}
