import { parseRecipient, type Caller, type Recipient } from '@hub/contracts';

/**
 * Which inboxes a caller may read and acknowledge: only its own organisation's, and only the kinds its role is
 * for. A GP practice reads `gp:<its ODS code>`; a MARAC `marac:<its ONS code>`; a local authority its exceptions
 * inbox and its children's social care inbox (`exceptions:<ONS>`, `la:<ONS>`); a police force `force:<its code>`.
 * Every other role reads none.
 */
export function mayUseInbox(caller: Caller, recipient: Recipient): boolean {
  const { kind, code } = parseRecipient(recipient);
  if (code !== caller.organisation) return false;
  switch (caller.role) {
    case 'gp':
      return kind === 'gp';
    case 'marac':
      return kind === 'marac';
    case 'local-authority':
      return kind === 'exceptions' || kind === 'la';
    case 'police':
      // A force's own inbox holds what the hub reports back to it: non-delivery reports.
      return kind === 'force';
    default:
      return false;
  }
}
