import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// Drives the real CLI (`./hub infra ...`) against a second, private stack on free ports and a temp data dir,
// so it never touches the stack the other integration tests use.
const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, 'cli.ts');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hub-infra-local-'));
const [kafkaPort, controllerPort, redisPort] = [await freePort(), await freePort(), await freePort()];
const env = {
  ...process.env,
  LOCAL_DATA_DIR: dataDir,
  LOCAL_KAFKA_PORT: String(kafkaPort),
  LOCAL_KAFKA_CONTROLLER_PORT: String(controllerPort),
  LOCAL_REDIS_PORT: String(redisPort),
};

async function infra(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [cli, ...args], { env, timeout: 150_000 });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

afterAll(async () => {
  await infra('down');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('infra/local CLI', () => {
  it(
    'up, status and down each work twice in a row, and status reports both addresses',
    { timeout: 300_000 },
    async () => {
      const firstUp = await infra('up');
      expect(firstUp).toMatchObject({ code: 0 });
      expect(firstUp.out).toMatch(new RegExp(`kafka\\s+started\\s+127\\.0\\.0\\.1:${kafkaPort}`));
      expect(firstUp.out).toMatch(new RegExp(`redis\\s+started\\s+redis://127\\.0\\.0\\.1:${redisPort}`));

      const secondUp = await infra('up');
      expect(secondUp.code).toBe(0);
      expect(secondUp.out).toMatch(/kafka\s+already-running/);
      expect(secondUp.out).toMatch(/redis\s+already-running/);

      for (let i = 0; i < 2; i++) {
        const status = await infra('status');
        expect(status.code).toBe(0);
        expect(status.out).toMatch(new RegExp(`kafka\\s+running\\s+127\\.0\\.0\\.1:${kafkaPort}`));
        expect(status.out).toMatch(new RegExp(`redis\\s+running\\s+redis://127\\.0\\.0\\.1:${redisPort}`));
      }

      const firstDown = await infra('down');
      expect(firstDown.code).toBe(0);
      expect(firstDown.out).toMatch(/kafka\s+stopped/);
      expect(firstDown.out).toMatch(/redis\s+stopped/);
      const secondDown = await infra('down');
      expect(secondDown.code).toBe(0);
      expect(secondDown.out).toMatch(/kafka\s+not-running/);

      const stoppedStatus = await infra('status');
      expect(stoppedStatus.code).toBe(3);
      expect(stoppedStatus.out).toMatch(/kafka\s+stopped/);
      expect(stoppedStatus.out).toMatch(/redis\s+stopped/);
    },
  );

  it('refuses a bad port setting with a clear message naming the variable', async () => {
    const { stderr } = await run(process.execPath, [cli, 'status'], {
      env: { ...env, LOCAL_REDIS_PORT: 'not-a-port' },
    }).catch((error: unknown) => error as { stderr: string });
    expect(stderr).toContain('LOCAL_REDIS_PORT must be a port between 1024 and 65535');
  });
});
