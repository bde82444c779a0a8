/**
 * `./hub audit export|verify` (`--help` for usage): `node packages/tlog-client/src/audit-main.ts <args>`. Reads the
 * environment (HUB_TOKEN, HUB_URL, AUDIT_LOG_VKEY, AUDIT_WITNESS_VKEYS) and files; writes files atomically.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { runAuditCli } from './audit-cli.ts';

process.exitCode = await runAuditCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readFile: (path) => readFile(path, 'utf8'),
  async writeFile(path, text) {
    const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, text, { flag: 'wx', mode: 0o644 });
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  },
});
