/**
 * Polls `predicate` until it holds (buses may deliver asynchronously), failing after
 * `timeoutMs` with `message`.
 *
 * @example
 * ```ts
 * await waitFor(() => received.length === 3, 'three deliveries');
 * ```
 */
export async function waitFor(
  predicate: () => boolean,
  message: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Resolves after the current macrotask, letting queued I/O and group commits run. */
export function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
