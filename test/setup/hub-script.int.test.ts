import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT } from '@hub/infra-local';
import { afterAll, describe, expect, it } from 'vitest';

// The `./hub` entry point as a newcomer meets it: `help`, unknown commands, `<command> --help` for every script in
// package.json, and the local stack's variables reaching every command that talks to the stack.
const HUB = path.join(REPO_ROOT, 'hub');
const SCRIPTS = Object.keys(
  (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts,
);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'hub-script-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const moved = {
  LOCAL_KAFKA_PORT: String(await freePort()),
  LOCAL_KAFKA_CONTROLLER_PORT: String(await freePort()),
  LOCAL_REDIS_PORT: String(await freePort()),
  LOCAL_POSTGRES_PORT: String(await freePort()),
  LOCAL_HUB_PORT: String(await freePort()),
  // Paths that nothing may create: `--help` runs nothing.
  LOCAL_DATA_DIR: path.join(scratch, 'data'),
  HUB_DEMO_DIR: path.join(scratch, 'demo'),
};
const env = Object.fromEntries(
  Object.entries({ ...process.env, ...moved }).filter(
    ([key]) => !['KAFKA_BROKERS', 'REDIS_URL', 'POSTGRES_URL'].includes(key),
  ),
);

function hub(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(HUB, args, { cwd: os.tmpdir(), env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

/** The commands `./hub help` lists (the block after the usage line, up to the next blank line), with their lines. */
function listed(text: string): Map<string, string> {
  const block = text.slice(text.indexOf('usage: ./hub <command>')).split('\n\n')[1] ?? '';
  return new Map(
    block.split('\n').map((line) => {
      const match = /^ {2}(\S+) +(\S.*)$/.exec(line);
      return [match?.[1] ?? `unparsed: ${line}`, match?.[2] ?? ''];
    }),
  );
}

describe('./hub', () => {
  it('help lists every package.json script with one line each, exit 0', async () => {
    const { code, stdout } = await hub('help');
    expect(code).toBe(0);
    const commands = listed(stdout);
    expect([...commands.keys()].sort()).toEqual([...SCRIPTS].sort());
    for (const [name, summary] of commands) {
      expect(summary, name).not.toContain('no description');
      expect(summary.length, name).toBeGreaterThan(20);
    }
    for (const variable of Object.keys(moved).filter((key) => key.startsWith('LOCAL_'))) {
      expect(stdout).toContain(variable);
    }
    expect((await hub('--help')).stdout).toBe(stdout);
  });

  it('an unknown command, or none, prints the commands and exits 2', async () => {
    const unknown = await hub('deploy-to-production');
    expect(unknown.code).toBe(2);
    expect([...listed(unknown.stderr).keys()].sort()).toEqual([...SCRIPTS].sort());
    expect(unknown.stdout).toBe('');
    expect((await hub()).code).toBe(2);
  });

  it.each(SCRIPTS)('%s --help prints its help, exit 0, and starts nothing', { timeout: 60_000 }, async (script) => {
    const result = await hub(script, '--help');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^usage: /);
    expect((await hub('help', script)).stdout).toBe(result.stdout);
    expect(existsSync(moved.LOCAL_DATA_DIR)).toBe(false);
    expect(existsSync(moved.HUB_DEMO_DIR)).toBe(false);
  });

  it('the local stack variables reach status, token, verify and dlq', { timeout: 60_000 }, async () => {
    const hubUrl = `http://127.0.0.1:${moved.LOCAL_HUB_PORT}`;
    const status = await hub('status');
    expect(status.code).toBe(3);
    expect(status.stdout).toContain(`127.0.0.1:${moved.LOCAL_KAFKA_PORT}`);
    expect(status.stdout).toContain(`redis://127.0.0.1:${moved.LOCAL_REDIS_PORT}`);
    expect(status.stdout).toContain(`postgres://hub@127.0.0.1:${moved.LOCAL_POSTGRES_PORT}/hub`);
    expect(status.stdout).toContain(hubUrl);
    expect((await hub('token', '--help')).stdout).toContain(`default ${hubUrl} (LOCAL_HUB_PORT)`);
    expect((await hub('verify', '--help')).stdout).toContain(`default ${hubUrl} (LOCAL_HUB_PORT)`);
    expect((await hub('dlq', '--help')).stdout).toContain(`KAFKA_BROKERS (127.0.0.1:${moved.LOCAL_KAFKA_PORT})`);
    expect((await hub('start', '--help')).stdout).toContain('LOCAL_HUB_PORT');
  });
});
