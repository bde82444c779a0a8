import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FACE_READMES, renderServiceFace, withFace } from './service-faces.ts';
import type { HubServiceName } from './steps.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('service faces in the READMEs', () => {
  it.each(Object.entries(FACE_READMES))(
    '%s: the README carries its current face (pnpm contracts:generate)',
    (service, file) => {
      const readme = readFileSync(resolve(ROOT, file), 'utf8');
      expect(withFace(readme, service as HubServiceName)).toBe(readme);
    },
  );

  it("names the identity stage's group, input and outputs", () => {
    const face = renderServiceFace('identity');
    expect(face).toContain(
      '| `identity` | stage | `da.incident-received.v1` (`identity`) | `da.incident-identified.v1`, `audit.events.v1` (`identity`) |',
    );
  });

  it('lists the routes a service serves with their roles', () => {
    expect(renderServiceFace('inbox')).toContain(
      '| `GET /v1/inboxes/{recipient}/notifications` | gp, marac, local-authority, police | `listInboxNotifications` |',
    );
  });
});
