import { z } from 'zod';
import { booleanString, commaList, existingPath, hostPort } from './coerce.ts';

/*
 * The Kafka client's environment: where the brokers are, how this process is named, how durable its topics are
 * (KAFKA_DURABILITY), and how it proves itself and the brokers to each other (TLS, SASL/SCRAM). Secrets are only
 * ever given as files: the password never sits in the environment, where `ps e` and crash dumps would show it.
 */

export const MAX_KAFKA_BROKERS = 32;

/** The profiles of `@hub/contracts` (DURABILITY_PROFILES); repeated as literals so config depends on nothing. */
export const KAFKA_DURABILITY_PROFILES = ['local', 'production'] as const;
export const KAFKA_SASL_MECHANISMS = ['scram-sha-512'] as const;

const KAFKA_NAME_CHARS = 'letters, digits, dots, underscores or hyphens';

const kafkaFields = z.object({
  /** Bootstrap brokers, `host:port,host:port`. */
  KAFKA_BROKERS: commaList(hostPort(), { maxItems: MAX_KAFKA_BROKERS }).default(() => ['127.0.0.1:9092']),
  /** Names this client in broker logs and quotas; services usually override the default with their own name. */
  KAFKA_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, `must be 1 to 100 ${KAFKA_NAME_CHARS}`)
    .default('hub'),
  /** Prefix for topic names, to share a cluster between environments or test runs; '' for none. */
  KAFKA_TOPIC_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{0,64}$/, `must be at most 64 ${KAFKA_NAME_CHARS}`)
    .default(''),
  /**
   * This process among the deployment's live instances: part of its request-side transactional ids. Stable across
   * restarts (e.g. a StatefulSet pod name), unique among live instances (the hub refuses to start a second one).
   */
  KAFKA_INSTANCE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, underscores or hyphens')
    .default('hub-1'),
  /**
   * Which of each topic's declared durabilities provisioning applies: `production` (replication factor 3,
   * min.insync.replicas 2; refused on fewer than 3 brokers) or `local` (1 and 1, the single local broker).
   */
  KAFKA_DURABILITY: z
    .enum(KAFKA_DURABILITY_PROFILES, `must be one of ${KAFKA_DURABILITY_PROFILES.join(', ')}`)
    .default('local'),
  /** TLS to the brokers. Without KAFKA_SSL_CA_FILE the brokers' certificates are checked against Node's CAs. */
  KAFKA_SSL: booleanString().default(false),
  /** PEM file of the CA(s) that signed the brokers' certificates. */
  KAFKA_SSL_CA_FILE: existingPath('file').optional(),
  /** PEM client certificate (mutual TLS); with KAFKA_SSL_KEY_FILE. */
  KAFKA_SSL_CERT_FILE: existingPath('file').optional(),
  /** PEM private key of KAFKA_SSL_CERT_FILE (unencrypted). */
  KAFKA_SSL_KEY_FILE: existingPath('file').optional(),
  /** SASL authentication; `scram-sha-512` only, and only over TLS. */
  KAFKA_SASL_MECHANISM: z.enum(KAFKA_SASL_MECHANISMS, `must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}`).optional(),
  KAFKA_SASL_USERNAME: z
    .string()
    .regex(/^[A-Za-z0-9._@-]{1,128}$/, 'must be 1 to 128 letters, digits, dots, underscores, @ or hyphens')
    .optional(),
  /** A file holding the SASL password (one trailing newline ignored); never the password itself. */
  KAFKA_SASL_PASSWORD_FILE: existingPath('file').optional(),
});

type KafkaFields = z.output<typeof kafkaFields>;

/**
 * The rules between the keys, each reported on the variable to fix. Only names and expectations: never a value,
 * since paths may name people and any value may be a secret pasted in the wrong key.
 */
export function kafkaSecurityProblems(env: KafkaFields): { variable: string; problem: string }[] {
  const problems: { variable: string; problem: string }[] = [];
  const set = (key: keyof KafkaFields) => env[key] !== undefined;
  if (!env.KAFKA_SSL) {
    for (const key of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const) {
      if (set(key)) problems.push({ variable: key, problem: 'is used only with KAFKA_SSL=true' });
    }
  }
  if (set('KAFKA_SSL_CERT_FILE') && !set('KAFKA_SSL_KEY_FILE')) {
    problems.push({ variable: 'KAFKA_SSL_KEY_FILE', problem: 'is required with KAFKA_SSL_CERT_FILE' });
  }
  if (set('KAFKA_SSL_KEY_FILE') && !set('KAFKA_SSL_CERT_FILE')) {
    problems.push({ variable: 'KAFKA_SSL_CERT_FILE', problem: 'is required with KAFKA_SSL_KEY_FILE' });
  }
  if (set('KAFKA_SASL_MECHANISM')) {
    for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD_FILE'] as const) {
      if (!set(key)) problems.push({ variable: key, problem: 'is required with KAFKA_SASL_MECHANISM' });
    }
    if (!env.KAFKA_SSL) {
      // SCRAM keeps the password off the wire, but every record would still cross the network in clear.
      problems.push({
        variable: 'KAFKA_SSL',
        problem: "must be 'true' with KAFKA_SASL_MECHANISM (SASL over TLS only)",
      });
    }
  } else {
    for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD_FILE'] as const) {
      if (set(key)) problems.push({ variable: key, problem: 'is used only with KAFKA_SASL_MECHANISM' });
    }
  }
  return problems;
}

export const kafkaEnv = kafkaFields.superRefine((env, ctx) => {
  for (const { variable, problem } of kafkaSecurityProblems(env)) {
    ctx.addIssue({ code: 'custom', path: [variable], message: problem });
  }
});
