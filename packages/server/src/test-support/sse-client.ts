export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads an SSE response with fetch until `until` says stop (or the stream ends / times out). */
export async function readSse(
  url: string,
  options: {
    headers?: Record<string, string>;
    until: (events: SseEvent[]) => boolean;
    timeoutMs?: number;
  },
): Promise<{ status: number; events: SseEvent[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
  const events: SseEvent[] = [];
  try {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...(options.headers ?? {}) },
      signal: controller.signal,
    });
    if (!response.ok || !response.body) return { status: response.status, events };
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const event: SseEvent = { data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = value;
          else if (field === 'event') event.event = value;
          else if (field === 'data') {
            event.data += value;
            hasData = true;
          }
        }
        if (hasData) events.push(event);
        boundary = buffer.indexOf('\n\n');
      }
      if (options.until(events)) {
        controller.abort();
        break;
      }
    }
    return { status: response.status, events };
  } catch (error) {
    if (controller.signal.aborted) return { status: 200, events };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
