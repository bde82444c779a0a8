import { fileURLToPath } from 'node:url';

/**
 * Where the console's built single-page app lives (`vite build`: `./hub console:build`, run by `./hub start` and
 * `./hub test`). The hub serves this directory at `/console/`; nothing else of this package runs in production.
 */
export const CONSOLE_UI_DIST = fileURLToPath(new URL('./dist/', import.meta.url));
