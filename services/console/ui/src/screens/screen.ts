import type { ConsoleSession } from '@hub/contracts';

export interface ScreenContext {
  readonly params: URLSearchParams;
  readonly session: ConsoleSession;
  /** False once the officer has moved to another screen: a late answer draws nothing. */
  readonly isCurrent: () => boolean;
}

/** Draws one screen into `main`, starting with its h1 (which gets focus after a navigation). */
export type Screen = (main: HTMLElement, context: ScreenContext) => Promise<void>;
