/**
 * A kafkajs connection (producer, admin) made on first use and shared. A failed connect is forgotten so the next
 * use tries again; close() disconnects, and a later get() reconnects (used to reset a transactional producer).
 */
export interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface LazyConnection<T extends Connectable> {
  get(): Promise<T>;
  close(): Promise<void>;
}

export function lazyConnection<T extends Connectable>(create: () => T): LazyConnection<T> {
  let instance: T | undefined;
  let connecting: Promise<T> | undefined;
  return {
    get() {
      connecting ??= (async () => {
        const created = create();
        instance = created;
        try {
          await created.connect();
          return created;
        } catch (error) {
          if (instance === created) {
            instance = undefined;
            connecting = undefined;
          }
          await created.disconnect().catch(() => undefined);
          throw error;
        }
      })();
      return connecting;
    },
    async close() {
      const current = instance;
      instance = undefined;
      connecting = undefined;
      if (current !== undefined) await current.disconnect();
    },
  };
}
