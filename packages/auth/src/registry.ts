import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CLIENT_ROLES, forceCode, odsCode, onsCode, type ClientRole } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { publicJwks, type PublicJwks } from '@hub/signing';

/** One registered client of the hub: who it is, what it may do, for which organisation, and its public keys. */
export interface RegisteredClient {
  readonly clientId: string;
  readonly role: ClientRole;
  /** Force code (police), practice or setting ODS code (gp, unscheduled-care), LA ONS code (marac, local-authority). */
  readonly organisation: string;
  /** Public keys its client assertions are signed with (RS512 or ES256); kid unique within the client. */
  readonly jwks: PublicJwks;
}

export interface ClientRegistry {
  /** The client, or undefined when it is not (or no longer) registered. */
  get(clientId: string): RegisteredClient | undefined;
  /** How many clients are registered now. */
  readonly size: number;
  /**
   * Reads and validates the file again and swaps it in at once. A bad file keeps the registry as it was and reports
   * why (logged at `error` and returned); never rejects. Concurrent calls run one after another.
   */
  reload(): Promise<RegistryReloadResult>;
}

export type RegistryReloadResult =
  { readonly ok: true; readonly clients: number } | { readonly ok: false; readonly error: ClientRegistryError };

/** A bad registry file. `problems` names each client by index (and id) and the field; never key material. */
export class ClientRegistryError extends Error {
  override readonly name = 'ClientRegistryError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super([`Invalid client registry (${count}):`, ...problems.map((problem) => `  ${problem}`)].join('\n'));
    this.problems = Object.freeze([...problems]);
  }
}

export const MAX_CLIENTS = 10_000;
export const MAX_REGISTRY_FILE_BYTES = 8 * 1024 * 1024;

/** Client ids go into logs, audit events and Redis keys: a restricted alphabet keeps them safe in all three. */
export const clientId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1 to 100 letters, digits, dots, underscores or hyphens');

/** Which organisation code each role acts for. An IG officer may sit in any kind of organisation. */
const ORGANISATION_RULES: Readonly<Record<ClientRole, readonly { schema: z.ZodString; name: string }[]>> = {
  police: [{ schema: forceCode, name: 'a police force code (2 to 12 upper-case letters or digits)' }],
  gp: [{ schema: odsCode, name: 'an ODS code (1 to 9 upper-case letters or digits)' }],
  'unscheduled-care': [{ schema: odsCode, name: 'an ODS code (1 to 9 upper-case letters or digits)' }],
  marac: [{ schema: onsCode, name: 'a 9-character ONS code such as E06000066' }],
  'local-authority': [{ schema: onsCode, name: 'a 9-character ONS code such as E06000066' }],
  'ig-officer': [
    { schema: odsCode, name: 'an ODS code' },
    { schema: onsCode, name: 'an ONS code' },
    { schema: forceCode, name: 'a police force code' },
  ],
  'ig-officer-national': [
    { schema: odsCode, name: 'an ODS code' },
    { schema: onsCode, name: 'an ONS code' },
    { schema: forceCode, name: 'a police force code' },
  ],
};

export function organisationProblem(role: ClientRole, organisation: string): string | undefined {
  const rules = ORGANISATION_RULES[role];
  if (rules.some((rule) => rule.schema.safeParse(organisation).success)) return undefined;
  return `must be ${rules.map((rule) => rule.name).join(' or ')} for role ${role}`;
}

const client = z
  .object({
    clientId,
    role: z.enum(CLIENT_ROLES, `must be one of ${CLIENT_ROLES.join(', ')}`),
    organisation: z.string().max(12, 'must be at most 12 characters'),
    jwks: publicJwks,
  })
  .strict();

const registryFile = z
  .object({
    clients: z.array(client).max(MAX_CLIENTS, `must hold at most ${MAX_CLIENTS} clients`),
  })
  .strict();

function recordOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function rawClients(raw: unknown): unknown[] {
  const clients = recordOf(raw)['clients'];
  return Array.isArray(clients) ? clients : [];
}

/** `clients[3] ("gp-a81001")`: the id is shown only when it is a well-formed id (never arbitrary input). */
function clientLabel(raw: unknown, index: number): string {
  const id = recordOf(rawClients(raw)[index])['clientId'];
  return clientId.safeParse(id).success ? `clients[${index}] (${JSON.stringify(id)})` : `clients[${index}]`;
}

function describePath(path: readonly PropertyKey[], raw: unknown): string {
  if (path.length === 0) return '(file)';
  const [head, index, ...rest] = path;
  if (head === 'clients' && typeof index === 'number') {
    return (
      clientLabel(raw, index) +
      rest.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('')
    );
  }
  return path
    .map((segment, position) =>
      typeof segment === 'number' ? `[${segment}]` : `${position === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/**
 * Rules across fields and clients, checked on the raw input so they are listed together with every field problem
 * (zod skips object refinements once a field has failed): duplicate client ids, organisation format per role.
 */
function crossProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  rawClients(raw).forEach((entry, index) => {
    const { clientId: id, role, organisation } = recordOf(entry);
    if (typeof id === 'string') {
      const first = seen.get(id);
      if (first === undefined) seen.set(id, index);
      else problems.push(`${clientLabel(raw, index)}.clientId: duplicates clients[${first}]`);
    }
    const parsedRole = z.enum(CLIENT_ROLES).safeParse(role);
    if (parsedRole.success && typeof organisation === 'string' && organisation.length <= 12) {
      const problem = organisationProblem(parsedRole.data, organisation);
      if (problem !== undefined) problems.push(`${clientLabel(raw, index)}.organisation: ${problem}`);
    }
  });
  return problems;
}

/** Validates a parsed registry document. Pure; throws ClientRegistryError listing every problem. */
export function parseClientRegistry(raw: unknown): ReadonlyMap<string, RegisteredClient> {
  const parsed = registryFile.safeParse(raw);
  const problems = [
    ...(parsed.error?.issues.map((issue) => `${describePath(issue.path, raw)}: ${issue.message}`) ?? []),
    ...crossProblems(raw),
  ];
  if (!parsed.success || problems.length > 0) throw new ClientRegistryError(problems);
  const clients = new Map<string, RegisteredClient>();
  for (const entry of parsed.data.clients) {
    clients.set(entry.clientId, Object.freeze({ ...entry, jwks: Object.freeze(entry.jwks) }));
  }
  return clients;
}

async function readRegistry(file: string): Promise<ReadonlyMap<string, RegisteredClient>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error';
    throw new ClientRegistryError([`(file): cannot be read (${code})`]);
  }
  if (bytes.length > MAX_REGISTRY_FILE_BYTES) {
    throw new ClientRegistryError([`(file): is larger than ${MAX_REGISTRY_FILE_BYTES} bytes`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ClientRegistryError(['(file): is not valid JSON']);
  }
  return parseClientRegistry(raw);
}

export interface LoadClientRegistryOptions {
  /** Path of the registry JSON file (the service reads `HUB_CLIENTS_FILE`). */
  readonly file: string;
  /** Where reloads report; ids and counts only. */
  readonly logger: Logger;
}

/**
 * Loads the client registry `{ "clients": [{ clientId, role, organisation, jwks }] }`. Throws ClientRegistryError
 * at start-up; afterwards `reload()` (on SIGHUP) swaps in a new file or keeps the old one.
 */
export async function loadClientRegistry(options: LoadClientRegistryOptions): Promise<ClientRegistry> {
  const { file, logger } = options;
  let clients = await readRegistry(file);
  let queue: Promise<unknown> = Promise.resolve();

  async function reloadNow(): Promise<RegistryReloadResult> {
    try {
      clients = await readRegistry(file);
      logger.info({ clients: clients.size }, 'client registry reloaded');
      return { ok: true, clients: clients.size };
    } catch (error) {
      const failure =
        error instanceof ClientRegistryError ? error : new ClientRegistryError(['(file): could not be loaded']);
      logger.error(
        { problems: failure.problems, clients: clients.size },
        'client registry reload failed; keeping the previous registry',
      );
      return { ok: false, error: failure };
    }
  }

  return {
    get: (id) => clients.get(id),
    get size() {
      return clients.size;
    },
    reload() {
      const next = queue.then(reloadNow);
      queue = next;
      return next;
    },
  };
}
