import { captureLogs } from '@hub/testkit';
import { describe, expect, it } from 'vitest';
import { STOP_DEADLINES_MS, stopPhases } from './stop-phases.ts';
import { startWorkers, type Worker } from './workers.ts';

const always = () => Promise.resolve(true);
const deadlines = { ...STOP_DEADLINES_MS, workers: 200, kafka: 200 };

/** Ignores its abort: its run never returns (a loop awaiting something that does not end while a broker is dead). */
const stubborn: Worker = { name: 'stubborn', run: () => new Promise<void>(() => undefined) };
const polite: Worker = {
  name: 'polite',
  run: (signal) =>
    new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        resolve();
      });
    }),
};

describe('stopPhases', () => {
  it('a worker ignoring the abort: the workers phase ends at its deadline and logs that worker by name', async () => {
    const { logger, lines } = captureLogs();
    const workers = startWorkers(
      [
        { service: 'deadlines', worker: stubborn },
        { service: 'inbox', worker: polite },
      ],
      { logger, confirm: always },
    );
    const phases = stopPhases(logger, deadlines);
    const started = Date.now();
    const outcome = await phases.run(
      'workers',
      () => workers.stop(),
      () => workers.running(),
    );
    const tookMs = Date.now() - started;
    expect(outcome).toBe('overran');
    expect(tookMs).toBeGreaterThanOrEqual(190);
    expect(tookMs).toBeLessThan(2_000);
    expect(phases.durationsMs.workers).toBeGreaterThanOrEqual(190);
    expect(phases.durationsMs.workers).toBeLessThanOrEqual(tookMs);
    const overran = lines().filter((line) => line['msg'] === 'stop phase overran its deadline; going on without it');
    expect(overran).toEqual([
      expect.objectContaining({ level: 'error', phase: 'workers', deadlineMs: 200, pending: ['deadlines.stubborn'] }),
    ]);
  });

  it('the phases after an overrun or a failure still run, each logged once; a phase in time logs nothing', async () => {
    const { logger, lines } = captureLogs();
    const phases = stopPhases(logger, deadlines);
    const ran: string[] = [];
    expect(
      await phases.run(
        'kafka',
        () => new Promise(() => undefined),
        () => ['group t1.dispatcher'],
      ),
    ).toBe('overran');
    expect(await phases.run('postgres', () => Promise.reject(new Error('already closed')))).toBe('failed');
    expect(
      await phases.run('redis', () => {
        ran.push('redis');
        return Promise.resolve();
      }),
    ).toBe('done');
    expect(ran).toEqual(['redis']);
    expect(Object.keys(phases.durationsMs)).toEqual(['kafka', 'postgres', 'redis']);
    expect(lines().map((line) => [line['msg'], line['phase']])).toEqual([
      ['stop phase overran its deadline; going on without it', 'kafka'],
      ['stop phase failed', 'postgres'],
    ]);
  });
});

describe('startWorkers running()', () => {
  it('names every worker while they run, and after stop only those that have not returned', async () => {
    const { logger } = captureLogs();
    const workers = startWorkers(
      [
        { service: 'deadlines', worker: stubborn },
        { service: 'inbox', worker: polite },
      ],
      { logger, confirm: always },
    );
    expect(workers.running()).toEqual(['deadlines.stubborn', 'inbox.polite']);
    void workers.stop();
    await expect.poll(() => workers.running()).toEqual(['deadlines.stubborn']);
  });
});
