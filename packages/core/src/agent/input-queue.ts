/**
 * A push-driven async iterable: the streaming input of a live CLI process. Unlike the seed's
 * MessageQueue it does not poll; a waiting reader is woken by the next `push` or by `end`.
 */
export interface InputQueue<T> extends AsyncIterable<T> {
  /** Queues an item; ignored once ended. */
  push(item: T): void;
  /** Ends the iterable after the queued items are read. */
  end(): void;
  readonly ended: boolean;
}

/**
 * @example
 * ```ts
 * const input = createInputQueue<SDKUserMessage>();
 * const live = query({ prompt: input, options });
 * input.push(userMessage('hello'));
 * ```
 */
export function createInputQueue<T>(): InputQueue<T> {
  const items: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  return {
    push(item) {
      if (ended) return;
      items.push(item);
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    get ended() {
      return ended;
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (items.length > 0) {
          yield items.shift()!;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}
