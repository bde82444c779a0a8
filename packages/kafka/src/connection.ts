import { readFileSync, statSync } from 'node:fs';

/**
 * A kafkajs connection (producer, admin) made on first use and shared. A failed connect is forgotten so the next
 * use tries again; close() disconnects, and a later get() reconnects (used to reset a transactional producer).
 */
export interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface LazyConnection<T extends Connectable> {
  get(): Promise<T>;
  close(): Promise<void>;
  /**
   * Stops handing out `instance` (the next get() makes a new one) and disconnects it, if it is still the current
   * one: of several users that saw it fail, only the first retires it, never its successor.
   */
  retire(instance: T): Promise<void>;
}

export function lazyConnection<T extends Connectable>(create: () => T): LazyConnection<T> {
  let instance: T | undefined;
  let connecting: Promise<T> | undefined;
  async function close(): Promise<void> {
    const current = instance;
    instance = undefined;
    connecting = undefined;
    if (current !== undefined) await current.disconnect();
  }
  return {
    get() {
      connecting ??= (async () => {
        const created = create();
        instance = created;
        try {
          await created.connect();
          return created;
        } catch (error) {
          if (instance === created) {
            instance = undefined;
            connecting = undefined;
          }
          await created.disconnect().catch(() => undefined);
          throw error;
        }
      })();
      return connecting;
    },
    close,
    async retire(retired) {
      if (instance === retired) await close();
    },
  };
}

/** TLS to the brokers: the CA that signed their certificates and, for mutual TLS, this client's certificate and key. */
export interface KafkaTls {
  /** PEM CA file; without it the brokers are checked against Node's CAs. */
  readonly caFile?: string | undefined;
  /** PEM client certificate and its (unencrypted) PEM key: both or neither. */
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
}

/** SASL/SCRAM-SHA-512 credentials; the password is read from a file, never passed as a value. */
export interface KafkaSasl {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  readonly passwordFile: string;
}

/** How the client proves the brokers are who they say and itself to them. Neither: plaintext, unauthenticated. */
export interface KafkaSecurity {
  readonly tls?: KafkaTls | undefined;
  /** Only over TLS (createKafkaClient refuses SASL without it). */
  readonly sasl?: KafkaSasl | undefined;
}

/** A security setting that cannot be used: which one and why, never a file's contents or a path. */
export class KafkaSecurityError extends Error {
  override readonly name = 'KafkaSecurityError';
}

/** What kafkajs takes for TLS and SASL: the files read once, now, so a bad one fails start-up. */
export interface KafkajsSecurityOptions {
  readonly ssl?: true | { readonly ca?: string[]; readonly cert?: string; readonly key?: string };
  readonly sasl?: { readonly mechanism: 'scram-sha-512'; readonly username: string; readonly password: string };
}

type KafkajsSsl = NonNullable<KafkajsSecurityOptions['ssl']>;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PEM_PRIVATE_KEY = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/;
/** Far beyond any CA bundle, certificate, key or password; a larger file is the wrong file. */
const MAX_SECURITY_FILE_BYTES = 1024 * 1024;

function readSecurityFile(path: string, what: string, variable: string): string {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_SECURITY_FILE_BYTES) {
      throw new KafkaSecurityError(`${what} (${variable}) is larger than ${MAX_SECURITY_FILE_BYTES} bytes`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof KafkaSecurityError) throw error;
    // The code (ENOENT, EACCES) says enough; the path may name a person, the cause's message repeats it.
    const code = (error as { code?: unknown }).code;
    throw new KafkaSecurityError(`${what} (${variable}) cannot be read${typeof code === 'string' ? `: ${code}` : ''}`);
  }
  return text;
}

/**
 * The kafkajs `ssl` and `sasl` options for `security`, reading each file once. Refuses a certificate without its
 * key (or a key without its certificate), SASL without TLS, a CA or certificate file with no PEM certificate, a key
 * file with no PEM private key and an empty password file, each with a KafkaSecurityError that names the setting
 * and never what a file holds.
 */
export function kafkajsSecurityOptions(security: KafkaSecurity | undefined): KafkajsSecurityOptions {
  if (security === undefined) return {};
  const { tls, sasl } = security;
  if (sasl !== undefined && tls === undefined) {
    throw new KafkaSecurityError('SASL needs TLS (KAFKA_SSL=true): records would cross the network in clear');
  }
  if (tls === undefined) return {};
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new KafkaSecurityError(
      'a client certificate needs its key and a key its certificate (KAFKA_SSL_CERT_FILE with KAFKA_SSL_KEY_FILE)',
    );
  }
  const ssl: { ca?: string[]; cert?: string; key?: string } = {};
  if (tls.caFile !== undefined) {
    const ca = readSecurityFile(tls.caFile, 'the TLS CA file', 'KAFKA_SSL_CA_FILE');
    if (!PEM_CERTIFICATE.test(ca)) {
      throw new KafkaSecurityError('the TLS CA file (KAFKA_SSL_CA_FILE) holds no PEM certificate');
    }
    ssl.ca = [ca];
  }
  if (tls.certFile !== undefined && tls.keyFile !== undefined) {
    const cert = readSecurityFile(tls.certFile, 'the TLS client certificate', 'KAFKA_SSL_CERT_FILE');
    if (!PEM_CERTIFICATE.test(cert)) {
      throw new KafkaSecurityError('the TLS client certificate (KAFKA_SSL_CERT_FILE) holds no PEM certificate');
    }
    const key = readSecurityFile(tls.keyFile, 'the TLS client key', 'KAFKA_SSL_KEY_FILE');
    if (!PEM_PRIVATE_KEY.test(key)) {
      throw new KafkaSecurityError('the TLS client key (KAFKA_SSL_KEY_FILE) holds no unencrypted PEM private key');
    }
    ssl.cert = cert;
    ssl.key = key;
  }
  const options: { ssl: KafkajsSsl; sasl?: NonNullable<KafkajsSecurityOptions['sasl']> } = {
    ssl: Object.keys(ssl).length === 0 ? true : ssl,
  };
  if (sasl !== undefined) {
    // One trailing newline is how editors and `echo` end a file; it is not part of the password.
    const password = readSecurityFile(sasl.passwordFile, 'the SASL password file', 'KAFKA_SASL_PASSWORD_FILE').replace(
      /\r?\n$/,
      '',
    );
    if (password === '') throw new KafkaSecurityError('the SASL password file (KAFKA_SASL_PASSWORD_FILE) is empty');
    options.sasl = { mechanism: sasl.mechanism, username: sasl.username, password };
  }
  return options;
}

/** The environment keys of `@hub/config`'s kafkaEnv that say how to connect, as loaded. */
export interface KafkaSecurityConfig {
  readonly KAFKA_SSL: boolean;
  readonly KAFKA_SSL_CA_FILE?: string | undefined;
  readonly KAFKA_SSL_CERT_FILE?: string | undefined;
  readonly KAFKA_SSL_KEY_FILE?: string | undefined;
  readonly KAFKA_SASL_MECHANISM?: 'scram-sha-512' | undefined;
  readonly KAFKA_SASL_USERNAME?: string | undefined;
  readonly KAFKA_SASL_PASSWORD_FILE?: string | undefined;
}

/** `KafkaSecurity` from the loaded configuration (whose rules between keys @hub/config has already checked). */
export function kafkaSecurityOf(config: KafkaSecurityConfig): KafkaSecurity {
  const tls = config.KAFKA_SSL
    ? { caFile: config.KAFKA_SSL_CA_FILE, certFile: config.KAFKA_SSL_CERT_FILE, keyFile: config.KAFKA_SSL_KEY_FILE }
    : undefined;
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username } = config;
  const passwordFile = config.KAFKA_SASL_PASSWORD_FILE;
  const sasl =
    mechanism !== undefined && username !== undefined && passwordFile !== undefined
      ? { mechanism, username, passwordFile }
      : undefined;
  return { tls, sasl };
}
