/**
 * Idle timeout as the officer sees it. The server ends a session after `timeoutSeconds` without a request; here the
 * console counts the officer's own activity (keys, pointer), keeps the server's session alive while they work
 * without requests (reading a timeline), warns a minute before, and signs out when the time is up, saying why.
 */
export interface IdleWatch {
  /** A request reached the server (it reset the server's idle clock). */
  serverContact(): void;
  stop(): void;
}

const ACTIVITY_EVENTS = ['keydown', 'pointerdown', 'wheel', 'touchstart'] as const;

export function watchIdle(
  timeoutSeconds: number,
  handlers: { warn(at: Date | null): void; expire(): void; keepAlive(): void },
): IdleWatch {
  const timeoutMs = timeoutSeconds * 1000;
  const warnMs = Math.min(60_000, timeoutMs / 4);
  let lastActivity = Date.now();
  let lastContact = Date.now();
  let warned = false;
  const active = () => {
    lastActivity = Date.now();
  };
  for (const name of ACTIVITY_EVENTS) document.addEventListener(name, active, { passive: true, capture: true });
  const timer = setInterval(() => {
    const now = Date.now();
    const idle = now - lastActivity;
    if (idle >= timeoutMs) {
      stop();
      handlers.expire();
      return;
    }
    const shouldWarn = idle >= timeoutMs - warnMs;
    if (shouldWarn !== warned) {
      warned = shouldWarn;
      handlers.warn(shouldWarn ? new Date(lastActivity + timeoutMs) : null);
    }
    // Working without requests still counts: refresh the server's clock before half of it has run out.
    if (lastActivity > lastContact && now - lastContact >= timeoutMs / 2) {
      lastContact = now;
      handlers.keepAlive();
    }
  }, 1000);
  function stop() {
    clearInterval(timer);
    for (const name of ACTIVITY_EVENTS) document.removeEventListener(name, active, { capture: true });
  }
  return {
    serverContact() {
      lastContact = Date.now();
    },
    stop,
  };
}
