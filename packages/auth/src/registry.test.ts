import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogs } from '@hub/testkit';
import { ClientRegistryError, loadClientRegistry, parseClientRegistry } from './registry.ts';
import { createTempDir, createTestClient, writeClientRegistry, type TempDir, type TestClient } from './testing.ts';

let dir: TempDir;

beforeEach(async () => {
  dir = await createTempDir();
});

afterEach(async () => {
  await dir.remove();
});

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseClientRegistry(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ClientRegistryError);
    return (error as ClientRegistryError).problems;
  }
  throw new Error('expected the registry to be refused');
}

const police = (): TestClient => createTestClient({ clientId: 'police-asp', role: 'police', organisation: 'ASP' });

describe('parseClientRegistry', () => {
  it('accepts every role with its organisation format and keeps only public key members', () => {
    const clients = [
      police(),
      createTestClient({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001', alg: 'RS512' }),
      createTestClient({ clientId: 'ed-rvj', role: 'unscheduled-care', organisation: 'RVJ01' }),
      createTestClient({ clientId: 'marac-somerset', role: 'marac', organisation: 'E06000066' }),
      createTestClient({ clientId: 'la-somerset', role: 'local-authority', organisation: 'E06000066' }),
      createTestClient({ clientId: 'ig-1', role: 'ig-officer', organisation: 'A81001' }),
      createTestClient({ clientId: 'ig-2', role: 'ig-officer', organisation: 'W06000015' }),
      createTestClient({ clientId: 'ig-3', role: 'ig-officer', organisation: 'ASP' }),
    ];
    const registry = parseClientRegistry({ clients: clients.map((client) => client.entry) });
    expect([...registry.keys()]).toEqual(clients.map((client) => client.clientId));
    const gp = registry.get('gp-a81001');
    expect(gp).toMatchObject({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' });
    expect(Object.keys(gp!.jwks.keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(parseClientRegistry({ clients: [] }).size).toBe(0);
  });

  it('lists every problem, naming the client by index and id and the field', () => {
    const good = police();
    const ec = createTestClient({ role: 'gp', organisation: 'A81001' });
    const privateJwk = ec.privateKey.export({ format: 'jwk' });
    const problems = problemsOf({
      clients: [
        good.entry,
        { ...good.entry, organisation: 'ASP' },
        { ...good.entry, clientId: 'gp-1', role: 'gp', organisation: 'A8100123' + '45' },
        { ...good.entry, clientId: 'marac-1', role: 'marac', organisation: 'A81001' },
        { ...good.entry, clientId: 'police 2', organisation: 'asp' },
        { ...good.entry, clientId: 'x-1', role: 'admin' },
        { ...good.entry, clientId: 'x-2', jwks: { keys: [{ ...privateJwk, kid: 'k' }] } },
        { ...good.entry, clientId: 'x-3', jwks: { keys: [] }, extra: 1 },
      ],
    });
    expect(problems).toEqual([
      'clients[4].clientId: must be 1 to 100 letters, digits, dots, underscores or hyphens',
      'clients[5] ("x-1").role: must be one of police, gp, marac, local-authority, unscheduled-care, ig-officer, ig-officer-national',
      'clients[6] ("x-2").jwks.keys[0].d: must not be present: this must be a public key (a private member was found)',
      'clients[7] ("x-3").jwks.keys: must hold at least one key',
      'clients[7] ("x-3"): Unrecognized key: "extra"',
      'clients[1] ("police-asp").clientId: duplicates clients[0]',
      'clients[2] ("gp-1").organisation: must be an ODS code (1 to 9 upper-case letters or digits) for role gp',
      'clients[3] ("marac-1").organisation: must be a 9-character ONS code such as E06000066 for role marac',
      'clients[4].organisation: must be a police force code (2 to 12 upper-case letters or digits) for role police',
    ]);
    // The private key material never appears in the problems.
    expect(problems.join('\n')).not.toContain(String(privateJwk.d));
  });

  it('checks the ig-officer organisation against every format', () => {
    expect(problemsOf({ clients: [{ ...police().entry, role: 'ig-officer', organisation: 'e06-1' }] })).toEqual([
      'clients[0] ("police-asp").organisation: must be an ODS code or an ONS code or a police force code for role ig-officer',
    ]);
  });

  it('refuses a document without clients or with unknown members', () => {
    expect(problemsOf({})).toEqual(['clients: Invalid input: expected array, received undefined']);
    expect(problemsOf({ clients: [], version: 2 })).toEqual(['(file): Unrecognized key: "version"']);
    expect(problemsOf([])).toEqual(['(file): Invalid input: expected object, received array']);
  });
});

describe('loadClientRegistry', () => {
  it('reports an unreadable or non-JSON file clearly', async () => {
    const logs = captureLogs();
    await expect(loadClientRegistry({ file: join(dir.path, 'absent.json'), logger: logs.logger })).rejects.toThrow(
      'Invalid client registry (1 problem):\n  (file): cannot be read (ENOENT)',
    );
    const file = join(dir.path, 'broken.json');
    await writeFile(file, '{"clients": [');
    await expect(loadClientRegistry({ file, logger: logs.logger })).rejects.toThrow('(file): is not valid JSON');
  });

  it('reloads a good file, keeps the old registry on a bad one, and reports why', async () => {
    const logs = captureLogs();
    const first = police();
    const second = createTestClient({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' });
    const file = await writeClientRegistry(dir.path, [first, second]);
    const registry = await loadClientRegistry({ file, logger: logs.logger });
    expect(registry.size).toBe(2);

    await writeFile(file, JSON.stringify({ clients: [{ ...second.entry, organisation: 'a81001' }] }));
    const failed = await registry.reload();
    expect(failed.ok).toBe(false);
    expect(failed.ok ? [] : failed.error.problems).toEqual([
      'clients[0] ("gp-a81001").organisation: must be an ODS code (1 to 9 upper-case letters or digits) for role gp',
    ]);
    expect(registry.size).toBe(2);
    expect(registry.get('police-asp')?.role).toBe('police');
    const errorLine = logs
      .lines()
      .find((line) => line['msg'] === 'client registry reload failed; keeping the previous registry');
    expect(errorLine).toMatchObject({ level: 'error', clients: 2, problems: failed.ok ? [] : failed.error.problems });

    await writeClientRegistry(dir.path, [second]);
    expect(await registry.reload()).toEqual({ ok: true, clients: 1 });
    expect(registry.get('police-asp')).toBeUndefined();
    expect(registry.get('gp-a81001')?.organisation).toBe('A81001');
    // No key material in any log line.
    const x = second.entry.jwks.keys[0]?.['x'];
    expect(typeof x).toBe('string');
    expect(logs.text()).not.toContain(x);
  });
});
