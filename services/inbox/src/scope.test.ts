import { CLIENT_ROLES, type Caller, type ClientRole, type Recipient } from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import { mayUseInbox } from './scope.ts';

const caller = (role: ClientRole, organisation: string): Caller => ({ clientId: `c-${role}`, role, organisation });

describe('inbox scope', () => {
  it('a GP practice uses only its own gp inbox', () => {
    const gp = caller('gp', 'A81001');
    expect(mayUseInbox(gp, 'gp:A81001')).toBe(true);
    expect(mayUseInbox(gp, 'gp:B82002')).toBe(false);
    expect(mayUseInbox(gp, 'gp:A8100')).toBe(false);
    expect(mayUseInbox(gp, 'gp:A810011')).toBe(false);
  });

  it('a MARAC uses only its own marac inbox', () => {
    const marac = caller('marac', 'E06000066');
    expect(mayUseInbox(marac, 'marac:E06000066')).toBe(true);
    expect(mayUseInbox(marac, 'marac:E09000001')).toBe(false);
    expect(mayUseInbox(marac, 'exceptions:E06000066')).toBe(false);
    expect(mayUseInbox(marac, 'la:E06000066')).toBe(false);
  });

  it("a local authority uses its exceptions and children's social care inboxes, not its MARAC's", () => {
    const la = caller('local-authority', 'E06000066');
    expect(mayUseInbox(la, 'exceptions:E06000066')).toBe(true);
    expect(mayUseInbox(la, 'la:E06000066')).toBe(true);
    expect(mayUseInbox(la, 'marac:E06000066')).toBe(false);
    expect(mayUseInbox(la, 'exceptions:E09000001')).toBe(false);
    expect(mayUseInbox(la, 'la:E09000001')).toBe(false);
  });

  it('a police force uses only its own force inbox (its non-delivery reports)', () => {
    const police = caller('police', 'ASP');
    expect(mayUseInbox(police, 'force:ASP')).toBe(true);
    expect(mayUseInbox(police, 'force:WMP')).toBe(false);
    expect(mayUseInbox(caller('police', 'E06000066'), 'la:E06000066')).toBe(false);
    expect(mayUseInbox(caller('gp', 'ASP'), 'force:ASP')).toBe(false);
    expect(mayUseInbox(caller('local-authority', 'ASP'), 'force:ASP')).toBe(false);
  });

  it('no other role uses any inbox, even with a matching organisation code', () => {
    const inboxes: Recipient[] = ['gp:E06000066', 'marac:E06000066', 'exceptions:E06000066', 'la:E06000066'];
    const others = CLIENT_ROLES.filter((role) => !['gp', 'marac', 'local-authority', 'police'].includes(role));
    expect(others).toEqual(['unscheduled-care', 'ig-officer', 'ig-officer-national']);
    for (const role of others) {
      for (const inbox of inboxes) expect(mayUseInbox(caller(role, 'E06000066'), inbox)).toBe(false);
    }
  });
});
