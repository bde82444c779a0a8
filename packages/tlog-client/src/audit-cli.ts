import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  SIGNATURE_TYPE,
  buildBundle,
  formatBundle,
  formatVerifierKey,
  parseSignerKey,
  parseVerifierKey,
  verifyBundle,
  verifyLog,
  type BundleVerification,
  type LogVerification,
  type TrustPolicy,
  type VerificationFailure,
} from '@hub/tlog';
import { httpLogSource, LogReadError } from './http-log.ts';
import { readLimited } from './read-limited.ts';

// `./hub audit export` and `./hub audit verify`: an auditor's tools over the hub's log API, trusting nothing but the
// public keys they are given. Every failure is named with its code; the exit status says whether all verified.

/** What the commands touch outside themselves, so tests run them in-process. */
export interface AuditCliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  /** Replaces the file whole (a temporary file renamed over it). */
  readonly writeFile: (path: string, text: string) => Promise<void>;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A bundle file or a trusted checkpoint file larger than this is refused unread. */
const MAX_INPUT_BYTES = 512 * 1024 * 1024;

const HELP = `usage: ./hub audit export --out <file> [--from <leaf>] [--to <leaf>] [--since <checkpoint file>]... [--hub <url>]
       ./hub audit log-key <signer key file>
       ./hub audit verify <bundle file> [keys] [--trusted <checkpoint file>]... [--json]
       ./hub audit verify --log [--hub <url>] [keys] [--trusted <file>]... [--witness-url <url>]...
                          [--save-trusted <file>] [--json]

export   writes a proof bundle (tlog-proof-bundle/v1): the audit events of leaves <from> to <to> - 1 (default: all),
         each with its inclusion proof against the log's latest cosigned checkpoint, and consistency proofs from
         each --since checkpoint. Reads the hub's API with the IG token in HUB_TOKEN (./hub token hub-ig).
log-key  prints the public key (vkey) of the log's signer key file, for the operator to publish to auditors and
         witnesses (the hub's: audit-log.skey beside its signing keys, e.g. .data/demo/audit-log.skey)
verify   checks a bundle offline, or (--log) the whole log from its tiles and entry bundles: every event hashed,
         the tree rebuilt and compared with every tile and checkpoint. Uses only the keys below. Exits 0 when
         everything verified, 1 naming each failure (edited, deleted, inserted, reordered events, truncation, a
         rewritten or wiped log, a fork), 2 on a usage error.

keys (a vkey, or a file holding one):
  --log-key <vkey>       the log's Ed25519 key (env AUDIT_LOG_VKEY); its name is the origin unless --origin
  --witness-key <vkey>   a witness's cosignature key, repeatable (env AUDIT_WITNESS_VKEYS, comma-separated)
  --quorum <n>           cosignatures required (default: every --witness-key)
  --origin <origin>      the log's origin, when it is not the log key's name

  --hub <url>            the hub (env HUB_URL; default the local hub, LOCAL_HUB_PORT)
  --trusted <file>       a checkpoint held from before (an earlier --save-trusted): the log must extend it
  --witness-url <url>    a witness whose last cosigned checkpoint of this log is also held to (its monitoring API)
  --save-trusted <file>  after a clean verification, keep the cosigned checkpoint there for the next run
`;

class UsageError extends Error {}

const OPTIONS = {
  out: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  since: { type: 'string', multiple: true },
  hub: { type: 'string' },
  log: { type: 'boolean' },
  'log-key': { type: 'string' },
  'witness-key': { type: 'string', multiple: true },
  quorum: { type: 'string' },
  origin: { type: 'string' },
  trusted: { type: 'string', multiple: true },
  'witness-url': { type: 'string', multiple: true },
  'save-trusted': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function leaf(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${what} must be a leaf index (digits)`);
  }
  return Number(text);
}

/** The hub's log prefix: --hub, HUB_URL, or the local hub whose token URL the local environment sets. */
function logPrefix(hub: string | undefined, env: AuditCliIo['env']): string {
  const tokenUrl = env['HUB_TOKEN_URL'];
  const base = hub ?? env['HUB_URL'] ?? (tokenUrl === undefined ? 'http://127.0.0.1:8080' : new URL(tokenUrl).origin);
  try {
    return new URL('v1/audit/log/', base.endsWith('/') ? base : `${base}/`).toString();
  } catch {
    throw new UsageError('--hub must be a URL');
  }
}

/** A vkey given as itself or as a file holding it. */
async function vkeyOf(value: string, io: AuditCliIo, what: string): Promise<string> {
  try {
    parseVerifierKey(value);
    return value;
  } catch {
    const text = (await io.readFile(value).catch(() => undefined))?.trim();
    try {
      if (text !== undefined) {
        parseVerifierKey(text);
        return text;
      }
    } catch {
      // reported below
    }
    throw new UsageError(`${what} is neither a vkey nor a file holding one`);
  }
}

async function policyOf(values: ParsedValues, io: AuditCliIo): Promise<TrustPolicy> {
  const logKeyText = values['log-key'] ?? io.env['AUDIT_LOG_VKEY'];
  if (logKeyText === undefined) throw new UsageError('--log-key (or AUDIT_LOG_VKEY) is required to verify');
  const logKey = await vkeyOf(logKeyText, io, '--log-key');
  const witnessTexts =
    values['witness-key'] ??
    (io.env['AUDIT_WITNESS_VKEYS'] ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key !== '');
  const witnessKeys = await Promise.all(witnessTexts.map((key) => vkeyOf(key, io, '--witness-key')));
  const quorum = leaf(values.quorum, 'quorum');
  if (quorum !== undefined && quorum > witnessKeys.length) {
    throw new UsageError('--quorum is more than the witness keys given');
  }
  return {
    origin: values.origin ?? parseVerifierKey(logKey).name,
    logKeys: [logKey],
    witnessKeys,
    ...(quorum === undefined ? {} : { witnessQuorum: quorum }),
  };
}

type ParsedValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Runs `./hub audit <args>`; returns the exit status. */
export async function runAuditCli(args: readonly string[], io: AuditCliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch {
    io.stderr(HELP);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help === true || command === 'help') {
    io.stdout(HELP);
    return EXIT.ok;
  }
  try {
    if (command === 'export' && rest.length === 0) return await exportCommand(values, io);
    if (command === 'log-key' && rest.length === 1) return await logKeyCommand(rest[0] as string, io);
    if (command === 'verify' && values.log === true && rest.length === 0) return await verifyLogCommand(values, io);
    if (command === 'verify' && values.log !== true && rest.length === 1) {
      return await verifyBundleCommand(rest[0] as string, values, io);
    }
    throw new UsageError('a command: export, log-key <file>, or verify with a bundle file or --log');
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`audit: ${error.message}\n\n${HELP}`);
      return EXIT.usage;
    }
    if (error instanceof LogReadError) {
      io.stderr(`audit: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

async function readInput(path: string, io: AuditCliIo, what: string): Promise<string> {
  try {
    return await io.readFile(path);
  } catch {
    throw new UsageError(`${what} cannot be read`);
  }
}

async function logKeyCommand(path: string, io: AuditCliIo): Promise<number> {
  const text = await readInput(path, io, 'the key file');
  let key;
  try {
    key = parseSignerKey(text.trim());
  } catch {
    throw new UsageError('the key file does not hold a PRIVATE+KEY+ signer key');
  }
  io.stdout(`${formatVerifierKey(key.name, SIGNATURE_TYPE.ed25519, key.publicKey)}\n`);
  return EXIT.ok;
}

async function exportCommand(values: ParsedValues, io: AuditCliIo): Promise<number> {
  if (values.out === undefined) throw new UsageError('--out <file> is required');
  const token = io.env['HUB_TOKEN'];
  if (token === undefined || token === '') {
    throw new UsageError('HUB_TOKEN must hold an IG access token: HUB_TOKEN=$(./hub token hub-ig)');
  }
  const since = await Promise.all((values.since ?? []).map((path) => readInput(path, io, '--since')));
  const source = httpLogSource({ url: logPrefix(values.hub, io.env), token });
  let bundle;
  try {
    bundle = await buildBundle(source, {
      ...optional('from', leaf(values.from, 'from')),
      ...optional('to', leaf(values.to, 'to')),
      since,
    });
  } catch (error) {
    if (error instanceof LogReadError) throw error;
    io.stderr(`audit: no bundle: ${error instanceof Error ? error.message : 'failed'}\n`);
    return EXIT.failed;
  }
  await io.writeFile(values.out, formatBundle(bundle));
  io.stdout(
    `wrote ${bundle.entries.length} events (leaves ${bundle.range.from} to ${bundle.range.to - 1}) with their proofs ` +
      `against the cosigned checkpoint of ${sizeOf(bundle.checkpoint)} leaves to ${values.out}\n`,
  );
  return EXIT.ok;
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

const sizeOf = (note: string) => note.split('\n')[1] ?? '?';

async function verifyBundleCommand(path: string, values: ParsedValues, io: AuditCliIo): Promise<number> {
  const policy = await policyOf(values, io);
  const text = await readInput(path, io, 'the bundle');
  if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw new UsageError('the bundle is larger than 512 MiB');
  const trusted = await Promise.all((values.trusted ?? []).map((file) => readInput(file, io, '--trusted')));
  const result = verifyBundle(text, policy, { trusted });
  return report(result, values.json === true, io, () => {
    const range = result.range;
    return range === undefined
      ? []
      : [`bundle: ${result.verified} events, leaves ${range.from} to ${range.to - 1}, all proven`];
  });
}

async function verifyLogCommand(values: ParsedValues, io: AuditCliIo): Promise<number> {
  const policy = await policyOf(values, io);
  const token = io.env['HUB_TOKEN'];
  const source = httpLogSource({
    url: logPrefix(values.hub, io.env),
    ...(token === undefined || token === '' ? {} : { token }),
  });
  const trusted = await Promise.all((values.trusted ?? []).map((file) => readInput(file, io, '--trusted')));
  for (const url of values['witness-url'] ?? []) {
    const held = await witnessCheckpoint(url, policy.origin);
    if (held !== undefined) trusted.push(held);
  }
  const result = await verifyLog(source, policy, { trusted });
  const status = report(result, values.json === true, io, () => [`log: ${result.leaves} leaves verified`]);
  if (status === EXIT.ok && values['save-trusted'] !== undefined && result.cosigned !== undefined) {
    await io.writeFile(values['save-trusted'], result.cosigned.note);
  }
  return status;
}

/** The witness's last cosigned checkpoint of `origin` (C2SP tlog-witness monitoring), or undefined if it has none. */
async function witnessCheckpoint(url: string, origin: string): Promise<string | undefined> {
  const hash = createHash('sha256').update(origin, 'utf8').digest('hex');
  let response: Response;
  try {
    response = await fetch(new URL(`${hash}/checkpoint`, url.endsWith('/') ? url : `${url}/`), {
      signal: AbortSignal.timeout(10_000),
      redirect: 'error',
    });
  } catch {
    throw new LogReadError('the witness could not be read');
  }
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new LogReadError(`the witness answered ${response.status}`, response.status);
  return readLimited(response, 64 * 1024);
}

function report(
  result: LogVerification | BundleVerification,
  json: boolean,
  io: AuditCliIo,
  summary: () => string[],
): number {
  const cosigned = result.cosigned;
  if (json) {
    const checkpoint = cosigned?.checkpoint;
    const summaryJson = {
      ok: result.ok,
      ...('leaves' in result ? { leaves: result.leaves } : { verified: result.verified, range: result.range }),
      cosigned:
        checkpoint === undefined
          ? null
          : {
              origin: checkpoint.origin,
              size: checkpoint.size,
              rootHash: b64(checkpoint.rootHash),
              cosignatures: cosigned?.cosignatures,
            },
      failures: result.failures,
      omitted: result.omitted,
    };
    io.stdout(`${JSON.stringify(summaryJson, null, 2)}\n`);
    return result.ok ? EXIT.ok : EXIT.failed;
  }
  const lines: string[] = [];
  if (cosigned !== undefined) {
    lines.push(
      `checkpoint: ${cosigned.checkpoint.origin}, ${cosigned.checkpoint.size} leaves, root ${b64(cosigned.checkpoint.rootHash)}`,
      ...cosigned.cosignatures.map(
        (c) => `  cosigned by ${c.witness} at ${new Date(c.timestamp * 1000).toISOString()}`,
      ),
    );
  }
  if (result.ok) {
    io.stdout(`${[...lines, ...summary(), 'OK: verified'].join('\n')}\n`);
    return EXIT.ok;
  }
  const failures = result.failures.map(describe);
  if (result.omitted > 0) failures.push(`  ... and ${result.omitted} more`);
  io.stdout(`${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`);
  io.stderr(`FAILED: ${result.failures.length + result.omitted} problems\n${failures.join('\n')}\n`);
  return EXIT.failed;
}

const describe = (failure: VerificationFailure) =>
  `  ${failure.code}${failure.leafIndex === undefined ? '' : ` (leaf ${failure.leafIndex})`}: ${failure.message}`;

const b64 = (value: Uint8Array) => Buffer.from(value).toString('base64');
