import { z } from 'zod';
import { booleanString, hostName, intInRange, logEnv, type ConfigOf } from '@hub/config';
import { isValidKeyName } from '@hub/tlog';

const path = z.string().min(1).max(1024, 'must be a path of at most 1024 characters');

/** The witness's environment: nothing of the hub's (no Kafka, Redis or PostgreSQL: another organisation runs it). */
export const witnessEnv = logEnv
  .extend({
    /** Interface to listen on; 0.0.0.0 inside a container. */
    WITNESS_HOST: hostName().default('127.0.0.1'),
    /** 0: the OS picks a free port (tests). */
    WITNESS_PORT: intInRange(0, 65_535).default(8090),
    /** The witness's Ed25519 signer key (`PRIVATE+KEY+...`), mode 0600. */
    WITNESS_KEY_FILE: path,
    /** true: make the key file when it does not exist (first run), named WITNESS_NAME. Never overwrites one. */
    WITNESS_KEY_GENERATE: booleanString().default(false),
    /** The witness's key name (e.g. `witness.example.org/w1`); required to generate, checked against the key else. */
    WITNESS_NAME: z
      .string()
      .refine(isValidKeyName, 'must be a key name: no spaces, no +, at most 256 characters')
      .optional(),
    /** The last cosigned checkpoint per log, a JSON file replaced atomically (its directory must exist). */
    WITNESS_STATE_FILE: path,
    /** The logs witnessed: `<origin> <Ed25519 vkey>` per line (see README). */
    WITNESS_LOGS_FILE: path,
  })
  .superRefine((config, ctx) => {
    if (config.WITNESS_KEY_GENERATE && config.WITNESS_NAME === undefined) {
      ctx.addIssue({ code: 'custom', path: ['WITNESS_NAME'], message: 'is required when WITNESS_KEY_GENERATE=true' });
    }
  });
export type WitnessConfig = ConfigOf<typeof witnessEnv>;
