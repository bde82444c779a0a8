import { describe, expect, it } from 'vitest';
import { keyMatches, stateOwnerOf } from './state-owner.ts';

describe('stateOwnerOf', () => {
  it('gives each key to the entry whose pattern names it most closely', () => {
    expect(stateOwnerOf('da:receipt:rcpt_1')).toEqual({ kind: 'view', name: 'incident-versions' });
    expect(stateOwnerOf('da:receipt:rcpt_1:status')).toEqual({ kind: 'view', name: 'receipt-status' });
    expect(stateOwnerOf('da:incident:ASP:1')).toEqual({ kind: 'view', name: 'incident-versions' });
    expect(stateOwnerOf('da:incident:ASP:1:lock')).toEqual({ kind: 'cache', name: 'intake-locks' });
    expect(stateOwnerOf('inbox:gp:L85901:items')).toEqual({ kind: 'view', name: 'inbox' });
    expect(stateOwnerOf('inbox:gp:L85901:lock')).toEqual({ kind: 'cache', name: 'inbox-locks' });
    expect(stateOwnerOf('cp:plans-by-child:9991001042')).toEqual({ kind: 'view', name: 'cp-flags' });
    expect(stateOwnerOf('da:lineage:x')).toEqual({ kind: 'view', name: 'amendment-lineage' });
  });

  it('gives no owner to a key nothing declares (a generation marker is no entry of its own)', () => {
    expect(stateOwnerOf('view:inbox:generation')).toBeUndefined();
    expect(stateOwnerOf('something:else')).toBeUndefined();
  });

  it('matches globs with * only, everything else literal', () => {
    expect(keyMatches('inbox:*:items', 'inbox:gp:A:items')).toBe(true);
    expect(keyMatches('inbox:*:items', 'inbox:gp:A:items2')).toBe(false);
    expect(keyMatches('a.b:*', 'aXb:1')).toBe(false);
  });
});
