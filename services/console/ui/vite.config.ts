import path from 'node:path';
import { defineConfig } from 'vite';
import { AUDIT_ACTIONS, CP_RULE_IDS, DECISION_OUTCOMES, LAWFUL_BASES, RECIPIENT_KINDS, RULE_IDS } from '@hub/contracts';

/**
 * The console's build: sources in src/, output in dist/ (CONSOLE_UI_DIST), served by the hub at /console/. Every
 * script and style is bundled from the npm registry's packages (no CDN); the output has no inline script, so the
 * hub can serve it under a strict Content-Security-Policy (script-src 'self').
 */
const here = import.meta.dirname;

/** The contracts' vocabularies the screens offer (filters, labels), declared once in @hub/contracts. */
const vocabulary = {
  actions: AUDIT_ACTIONS,
  outcomes: DECISION_OUTCOMES,
  rules: [...RULE_IDS, ...CP_RULE_IDS],
  lawfulBases: LAWFUL_BASES,
  recipientKinds: RECIPIENT_KINDS,
};

export default defineConfig({
  root: path.join(here, 'src'),
  base: '/console/',
  logLevel: 'warn',
  define: { __HUB_VOCABULARY__: JSON.stringify(vocabulary) },
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Chart.js is most of the bundle; one file is fine for a console.
    chunkSizeWarningLimit: 400,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
