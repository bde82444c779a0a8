import { STEPS } from '@hub/contracts';
import { bindStage, NotYetError, type InboundMessage, type StageBinding } from '@hub/kafka';
import { describe, expect, it } from 'vitest';
import { gatedBinding } from './view-generations.ts';

// A stage that reads a view waits while the view is not ready, whether its inputs go through `handle` or through the
// handler its round preparation answers (issue 10). The dispatcher's step (it reads the amendment lineage); the
// handlers here only note their calls.
const message = { offset: '0' } as InboundMessage<typeof STEPS.dispatcher.input>;

describe('a gated stage waits for its views, round by round and input by input', () => {
  const calls: string[] = [];
  const answer = (by: string) => () => {
    calls.push(by);
    return Promise.resolve([]);
  };
  const stage = bindStage(STEPS.dispatcher, {
    handle: answer('handle'),
    prepareRound: () => {
      calls.push('prepare');
      return Promise.resolve(answer('round'));
    },
  });
  let ready = false;
  const gated = gatedBinding(stage, () =>
    ready ? undefined : Promise.reject(new NotYetError('view x')),
  ) as StageBinding;

  it('refuses the preparation and the input while the view is not ready, calling neither', async () => {
    calls.length = 0;
    await expect(gated.prepareRound?.([message])).rejects.toThrow(NotYetError);
    await expect(gated.handle(message)).rejects.toThrow(NotYetError);
    expect(calls).toEqual([]);
  });

  it('prepares and handles once ready; an input of the round waits if the view stops being ready', async () => {
    calls.length = 0;
    ready = true;
    const round = await gated.prepareRound!([message]);
    expect(await round(message)).toEqual([]);
    ready = false;
    await expect(round(message)).rejects.toThrow(NotYetError);
    expect(calls).toEqual(['prepare', 'round']);
  });
});
