import type { AuditCheckpointRecord } from '@hub/contracts';
import { ApiError, cosignedCheckpoint, logVerification, SignedOutError, type LogVerification } from '../api.ts';
import { h, replace, scrollTable, table, time } from '../dom.ts';
import type { Screen } from './screen.ts';

/**
 * Whether the audit log can be trusted: the latest checkpoint with its witnesses' cosignatures, and the last full
 * verification of the log. Red, in words as well as colour, when anything fails, is missing or cannot be read.
 */
type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

async function settle<T>(call: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error instanceof SignedOutError) throw error;
    const why =
      error instanceof ApiError ? `${error.problem.title} (${error.problem.status})` : 'the hub did not answer';
    return { ok: false, why };
  }
}

export const renderIntegrity: Screen = async (main, context) => {
  const heading = () => h('h1', { tabindex: -1 }, 'Integrity of the audit log');
  replace(main, heading(), h('p', { role: 'status' }, 'Checking…'));
  const [checkpoint, verification] = await Promise.all([settle(cosignedCheckpoint), settle(logVerification)]);
  if (!context.isCurrent()) return;
  const problems = problemsOf(checkpoint, verification);
  const ok = problems.length === 0;
  replace(
    main,
    heading(),
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
    checkpointSection(checkpoint),
    verificationSection(verification),
  );
};

function problemsOf(checkpoint: Answer<AuditCheckpointRecord>, verification: Answer<LogVerification>): string[] {
  const problems: string[] = [];
  if (!checkpoint.ok) problems.push(`The latest checkpoint could not be read: ${checkpoint.why}.`);
  else if ((checkpoint.value.witnesses ?? []).length === 0) {
    problems.push('No witness has cosigned the latest checkpoint.');
  }
  if (!verification.ok) problems.push(`The last full verification could not be read: ${verification.why}.`);
  else if (!verification.value.ok) {
    problems.push(`The last full verification failed${detailOf(verification.value) ?? ''}.`);
  }
  return problems;
}

function detailOf(verification: LogVerification): string | null {
  if (verification.detail !== undefined) return `: ${verification.detail}`;
  if (verification.failures !== undefined && verification.failures.length > 0) {
    return `: ${verification.failures.map((failure) => (typeof failure === 'string' ? failure : JSON.stringify(failure))).join('; ')}`;
  }
  return null;
}

function checkpointSection(checkpoint: Answer<AuditCheckpointRecord>): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'checkpoint-heading' },
    h('h2', { id: 'checkpoint-heading' }, 'Latest checkpoint'),
  );
  if (!checkpoint.ok) {
    section.append(h('p', {}, 'None could be read.'));
    return section;
  }
  const latest = checkpoint.value;
  const lines = signatureLines(latest.note);
  const witnesses = latest.witnesses ?? [];
  section.append(
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Log'),
      h('dd', {}, latest.origin),
      h('dt', {}, 'Entries'),
      h('dd', { id: 'checkpoint-size' }, latest.size.toLocaleString('en-GB')),
      h('dt', {}, 'Root hash'),
      h('dd', { class: 'hash' }, latest.rootHash),
      h('dt', {}, 'Signed at'),
      h('dd', {}, time(latest.signedAt)),
    ),
    h('h3', {}, 'Witness cosignatures'),
    witnesses.length === 0
      ? h('p', {}, 'None.')
      : scrollTable(
          'Witness cosignatures',
          table(
            'Witnesses that cosigned this checkpoint',
            ['Witness', 'Cosigned at'],
            witnesses.map((witness) => [witness, time(lines.get(witness) ?? null)]),
          ),
        ),
    h('details', {}, h('summary', {}, 'The checkpoint as signed (C2SP signed note)'), h('pre', {}, latest.note)),
  );
  return section;
}

/**
 * The signature lines of a C2SP signed note (`— <key name> <base64>`), with the time a cosignature carries: a
 * tlog-cosignature/v1 Ed25519 signature is key id (4 bytes), timestamp (8, seconds, big-endian), signature (64).
 */
function signatureLines(note: string): Map<string, string | null> {
  const lines = new Map<string, string | null>();
  for (const line of note.split('\n')) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    let at: string | null = null;
    try {
      const bytes = Uint8Array.from(atob(match[2]), (char) => char.charCodeAt(0));
      if (bytes.length === 76) {
        const seconds = new DataView(bytes.buffer).getBigUint64(4);
        at = new Date(Number(seconds) * 1000).toISOString();
      }
    } catch {
      // Not base64: shown without a time.
    }
    lines.set(match[1], at);
  }
  return lines;
}

function verificationSection(verification: Answer<LogVerification>): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'verification-heading' },
    h('h2', { id: 'verification-heading' }, 'Last full verification'),
  );
  if (!verification.ok) {
    section.append(h('p', {}, 'Its result could not be read.'));
    return section;
  }
  const last = verification.value;
  section.append(
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'When'),
      h('dd', {}, time(last.verifiedAt ?? last.at ?? null)),
      h('dt', {}, 'Result'),
      h('dd', {}, h('strong', { class: `badge ${last.ok ? 'share' : 'withhold'}` }, last.ok ? 'passed' : 'failed')),
      last.treeSize === undefined
        ? null
        : [h('dt', {}, 'Entries checked'), h('dd', {}, last.treeSize.toLocaleString('en-GB'))],
      detailOf(last) === null ? null : [h('dt', {}, 'Detail'), h('dd', {}, (detailOf(last) ?? '').slice(2))],
    ),
  );
  return section;
}
