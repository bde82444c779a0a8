/*
 * Issue 13 item 6: every multi-key Lua script of the hub would run on Redis Cluster. @hub/redis records per script
 * the Cluster slots each call's keys (prefix included) are in (`scriptsRun`): a single Redis runs a cross-slot
 * script without a word, Cluster refuses it (CROSSSLOT). This test finds every script in the sources (a constant template holding
 * `redis.call`), runs the hub through what calls them (start and view builds, a police incident fetched and
 * acknowledged, a child protection plan and an emergency department's look-up), and checks that each multi-key
 * script ran, with every call's keys in one slot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import { scriptSha, scriptsRun } from '@hub/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncident, waitForInbox } from './flow.ts';
import { whitlockIncident } from './whitlock.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Script {
  readonly where: string;
  readonly sha: string;
  readonly multiKey: boolean;
}

/** Every Lua script constant in packages/ and services/ (not tests). */
function scriptsInSources(): Script[] {
  const found: Script[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/const (\w+) = `([^`]*redis\.p?call[^`]*)`/g)) {
          const [, name = '', body = ''] = match;
          found.push({
            where: `${relative(ROOT, path)} ${name}`,
            // A script built with ${...} would have another hash at run time: scripts are constants.
            sha: body.includes('${') ? `not a constant: ${name}` : scriptSha(body),
            multiKey: /KEYS\[[2-9]\]|#KEYS/.test(body),
          });
        }
      }
    }
  };
  for (const top of ['packages', 'services']) walk(join(ROOT, top));
  return found;
}

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub.stop();
});

describe('the Lua scripts and Redis Cluster', () => {
  it('finds the scripts (the search itself works), each a constant', () => {
    const scripts = scriptsInSources();
    expect(scripts.length).toBeGreaterThan(10);
    expect(scripts.filter((script) => script.sha.startsWith('not a constant'))).toEqual([]);
    expect(scripts.some((script) => script.where === 'services/inbox/src/store.ts APPEND' && script.multiKey)).toBe(
      true,
    );
  });

  it('runs every multi-key script with all its keys in one Cluster slot', { timeout: 120_000 }, async () => {
    // A police incident to five inboxes, one of them fetched and acknowledged.
    await postIncident(hub, whitlockIncident());
    const [item] = await waitForInbox(hub, 'gpVictim', 'gp:L85901', 2);
    const acknowledged = await hub.call(
      'gpVictim',
      `/v1/inboxes/gp:L85901/notifications/${item?.id ?? ''}/acknowledgement`,
      { method: 'POST' },
    );
    expect(acknowledged.status).toBe(200);
    // A child protection plan (the plan joins the child's set: three keys), and an emergency department's look-up.
    const plan = await hub.call('somersetLa', '/v1/child-protection-plans/CP-SLOTS-1', {
      method: 'PUT',
      body: JSON.stringify({
        type: 'child-protection-plan',
        nhsNumber: '9991001042',
        startDate: '2026-11-20',
        contact: { team: 'Taunton', officeHoursPhone: '01632 960100', outOfHoursPhone: '01632 960199' },
      }),
    });
    expect(plan.status, await plan.clone().text()).toBe(200);
    const lookUp = await hub.call(
      'edTaunton',
      '/v1/child-protection-flags?nhsNumber=9991001042&settingOds=RZ901&settingType=emergency-department',
    );
    expect(lookUp.status).toBe(200);
    await waitForInbox(hub, 'somersetLa', 'la:E06000066', 1);

    const multiKey = scriptsInSources().filter((script) => script.multiKey);
    const run = scriptsRun();
    const report = multiKey.map(({ where, sha }) => {
      const seen = run.get(sha);
      return { where, ran: seen !== undefined && seen.calls > 0, slotsPerCall: seen?.maxSlots ?? 0 };
    });
    expect(report).toEqual(multiKey.map(({ where }) => ({ where, ran: true, slotsPerCall: 1 })));
    // They were multi-key calls indeed (the check above compares something).
    expect(multiKey.every(({ sha }) => (run.get(sha)?.maxKeys ?? 0) > 1)).toBe(true);
    // And no script of this process, multi-key or not, ever touched two slots.
    expect([...run.values()].filter((seen) => seen.maxSlots > 1)).toEqual([]);
  });
});
