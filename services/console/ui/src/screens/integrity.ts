import type { Integrity } from '../api-types.ts';
import { integrity } from '../api.ts';
import { h, replace, scrollTable, table, time } from '../dom.ts';
import type { Screen } from './screen.ts';

/**
 * Whether the audit log can be trusted: the latest signed checkpoint, the witnesses' cosignatures of it, and the
 * last full verification of the log. Red, in words as well as colour, when anything fails or is missing.
 */
export const renderIntegrity: Screen = async (main, context) => {
  replace(main, h('h1', { tabindex: -1 }, 'Integrity of the audit log'), h('p', { role: 'status' }, 'Checking…'));
  const state = await integrity();
  if (!context.isCurrent()) return;
  const problems = problemsOf(state);
  const ok = problems.length === 0;
  replace(
    main,
    h('h1', { tabindex: -1 }, 'Integrity of the audit log'),
    h(
      'section',
      {
        class: `integrity-status ${ok ? 'ok' : 'failed'}`,
        'aria-labelledby': 'integrity-result',
        'data-ok': String(ok),
      },
      h('h2', { id: 'integrity-result' }, ok ? '✔ The audit log verifies' : '✘ The audit log does not verify'),
      ok
        ? h(
            'p',
            {},
            'The latest checkpoint is signed and cosigned, and the last full verification found nothing wrong.',
          )
        : h(
            'ul',
            {},
            problems.map((problem) => h('li', {}, problem)),
          ),
    ),
    checkpoint(state),
    cosignatures(state),
    verification(state),
  );
};

function problemsOf(state: Integrity): string[] {
  const problems: string[] = [];
  if (state.checkpoint === null) problems.push('No checkpoint has been signed yet.');
  if (state.cosignatures.length === 0) problems.push('No witness has cosigned the latest checkpoint.');
  for (const cosignature of state.cosignatures) {
    if (!cosignature.ok) problems.push(`The cosignature of ${cosignature.witness} does not verify.`);
  }
  if (state.verification === null) problems.push('The log has not been fully verified yet.');
  else if (!state.verification.ok) problems.push(`The last full verification failed: ${state.verification.detail}`);
  if (!state.ok && problems.length === 0) problems.push('The hub reports the log as failing.');
  return problems;
}

function checkpoint(state: Integrity): HTMLElement {
  const { checkpoint: latest } = state;
  return h(
    'section',
    { 'aria-labelledby': 'checkpoint-heading' },
    h('h2', { id: 'checkpoint-heading' }, 'Latest checkpoint'),
    latest === null
      ? h('p', {}, 'None yet.')
      : [
          h(
            'dl',
            { class: 'facts' },
            h('dt', {}, 'Log'),
            h('dd', {}, latest.origin),
            h('dt', {}, 'Entries'),
            h('dd', {}, latest.treeSize.toLocaleString('en-GB')),
            h('dt', {}, 'Root hash'),
            h('dd', { class: 'hash' }, latest.rootHash),
          ),
          h('details', {}, h('summary', {}, 'The signed checkpoint as published'), h('pre', {}, latest.note)),
        ],
  );
}

function cosignatures(state: Integrity): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'cosignature-heading' },
    h('h2', { id: 'cosignature-heading' }, 'Witness cosignatures'),
    state.cosignatures.length === 0
      ? h('p', {}, 'None.')
      : scrollTable(
          'Witness cosignatures',
          table(
            'Cosignatures of the latest checkpoint',
            ['Witness', 'Cosigned at', 'Signature'],
            state.cosignatures.map((cosignature) => [
              cosignature.witness,
              time(cosignature.timestamp),
              cosignature.ok ? 'valid' : 'INVALID',
            ]),
          ),
        ),
  );
}

function verification(state: Integrity): HTMLElement {
  const last = state.verification;
  return h(
    'section',
    { 'aria-labelledby': 'verification-heading' },
    h('h2', { id: 'verification-heading' }, 'Last full verification'),
    last === null
      ? h('p', {}, 'Not yet run.')
      : h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'When'),
          h('dd', {}, time(last.at)),
          h('dt', {}, 'Result'),
          h('dd', {}, h('strong', { class: `badge ${last.ok ? 'share' : 'withhold'}` }, last.ok ? 'passed' : 'failed')),
          h('dt', {}, 'Detail'),
          h('dd', {}, last.detail),
        ),
  );
}
