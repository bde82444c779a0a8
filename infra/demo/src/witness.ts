import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { auditLogEnv } from '@hub/config';
import { cosignerVerifierKey, formatVerifierKey, generateSignerKey, parseSignerKey, SIGNATURE_TYPE } from '@hub/tlog';
import type { LocalStackSettings } from '@hub/infra-local/settings';
import type { DemoFiles } from './paths.ts';

/** The demo witness's key name (services/witness: `WITNESS_NAME`). */
export const DEMO_WITNESS_NAME = 'witness.localhost/demo';

/** The witness listens 10 ports above the hub (8090 by default), so LOCAL_HUB_PORT moves both. */
export const demoWitnessPort = (settings: Pick<LocalStackSettings, 'hubPort'>) => settings.hubPort + 10;

/** An Ed25519 signer key file made once (0600, never over an existing one), as the hub and the witness make theirs. */
function ensureSignerKey(file: string, name: string): string {
  if (!existsSync(file)) writeFileSync(file, `${generateSignerKey(name).skey}\n`, { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

/**
 * The demo's witness, as another organisation would set one up (services/witness/README.md): its own key and state
 * under `<demo dir>/witness`, and the hub's log named by the log key's public half. The log key is made here when
 * missing (where and as the hub makes it), so the witness knows it before the hub's first start. Returns what the
 * hub is given as `AUDIT_WITNESSES`; writes the witness's env file.
 */
export function prepareDemoWitness(
  files: DemoFiles,
  settings: Pick<LocalStackSettings, 'hubPort'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const origin = auditLogEnv.shape.AUDIT_LOG_ORIGIN.parse(env['AUDIT_LOG_ORIGIN'] || undefined);
  const logKey = parseSignerKey(ensureSignerKey(env['AUDIT_LOG_KEY_FILE'] || files.auditLogKey, origin));
  mkdirSync(`${files.dir}/witness`, { recursive: true, mode: 0o700 });
  const witnessVkey = cosignerVerifierKey(ensureSignerKey(files.witnessKey, DEMO_WITNESS_NAME));
  writeFileSync(`${files.witnessKey}.vkey`, `${witnessVkey}\n`);
  const logVkey = formatVerifierKey(logKey.name, SIGNATURE_TYPE.ed25519, logKey.publicKey);
  writeFileSync(files.witnessLogs, `# the hub's audit log (./hub audit log-key)\n${logKey.name} ${logVkey}\n`);
  const port = demoWitnessPort(settings);
  const witnessEnv = {
    WITNESS_KEY_FILE: files.witnessKey,
    WITNESS_NAME: DEMO_WITNESS_NAME,
    WITNESS_STATE_FILE: files.witnessState,
    WITNESS_LOGS_FILE: files.witnessLogs,
    WITNESS_PORT: String(port),
  };
  writeFileSync(
    files.witnessEnv,
    `${Object.entries(witnessEnv)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  return `http://127.0.0.1:${port} ${witnessVkey}`;
}
