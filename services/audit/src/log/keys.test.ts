import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLogKey } from './keys.ts';

const ORIGIN = 'keys-test.invalid/audit';
const dir = mkdtempSync(join(tmpdir(), 'hub-log-key-'));
const file = join(dir, 'audit-log.skey');
const { vkey } = loadLogKey(file, ORIGIN, true);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the audit log key file', () => {
  // 0440: a Kubernetes Secret, readable by the pod's user through its fsGroup (infra/k8s).
  it.each([0o600, 0o400, 0o640, 0o440])('loads with mode %o (owner, or owner and group)', (mode) => {
    chmodSync(file, mode);
    expect(loadLogKey(file, ORIGIN, false).vkey).toBe(vkey);
  });

  it.each([0o644, 0o604, 0o606, 0o444])('is refused with mode %o (others may read it)', (mode) => {
    chmodSync(file, mode);
    expect(() => loadLogKey(file, ORIGIN, false)).toThrow('the audit log key file is readable by others');
  });

  it('is refused when it does not exist and may not be made', () => {
    expect(() => loadLogKey(join(dir, 'missing.skey'), ORIGIN, false)).toThrow('the audit log key file does not exist');
  });
});
