import { captureLogs } from '@hub/testkit';
import { describe, expect, it, vi } from 'vitest';
import { abortOrReset } from './abort-or-reset.ts';

function fakes(options: { active: boolean; abortFails?: boolean }) {
  const transaction = {
    isActive: () => options.active,
    abort: vi.fn(() =>
      options.abortFails === true ? Promise.reject(new Error('coordinator gone')) : Promise.resolve(),
    ),
  };
  const producer = { close: vi.fn(() => Promise.resolve()) };
  return { transaction, producer };
}

describe('abortOrReset', () => {
  it('aborts an open transaction and keeps its producer', async () => {
    const { transaction, producer } = fakes({ active: true });
    await abortOrReset(transaction, producer, captureLogs().logger);
    expect(transaction.abort).toHaveBeenCalledOnce();
    expect(producer.close).not.toHaveBeenCalled();
  });

  it('aborts and still drops the producer when one of its sends failed (that send may have been written)', async () => {
    const { transaction, producer } = fakes({ active: true });
    const { logger, lines } = captureLogs();
    await abortOrReset(transaction, producer, logger, true);
    expect(transaction.abort).toHaveBeenCalledOnce();
    expect(producer.close).toHaveBeenCalledOnce();
    expect(lines().filter((line) => line['level'] === 'warn')).toEqual([]);
  });

  it('drops the producer when the abort fails', async () => {
    const { transaction, producer } = fakes({ active: true, abortFails: true });
    await abortOrReset(transaction, producer, captureLogs().logger);
    expect(producer.close).toHaveBeenCalledOnce();
  });

  it('drops the producer when a commit failed half-way (not active, yet never ended: kafkajs stuck in COMMITTING)', async () => {
    const { transaction, producer } = fakes({ active: false });
    await abortOrReset(transaction, producer, captureLogs().logger);
    expect(transaction.abort).not.toHaveBeenCalled();
    expect(producer.close).toHaveBeenCalledOnce();
  });

  it('drops the producer when no transaction could begin', async () => {
    const { producer } = fakes({ active: false });
    await abortOrReset(undefined, producer, captureLogs().logger);
    expect(producer.close).toHaveBeenCalledOnce();
  });
});
