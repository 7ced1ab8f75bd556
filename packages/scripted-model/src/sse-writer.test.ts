import { describe, expect, it } from 'vitest';
import { deltaCount, formatSseEvent, splitIntoPieces } from './sse-writer.js';

describe('formatSseEvent', () => {
  it('writes the event line, one data line and a blank line', () => {
    expect(formatSseEvent('ping', { type: 'ping', text: 'a\nb' })).toBe(
      'event: ping\ndata: {"type":"ping","text":"a\\nb"}\n\n',
    );
  });
});

describe('splitIntoPieces', () => {
  it('splits into the asked number of parts that join back', () => {
    const parts = splitIntoPieces('{"command":"echo hi"}', 4);
    expect(parts).toHaveLength(4);
    expect(parts.join('')).toBe('{"command":"echo hi"}');
  });
  it('never splits a surrogate pair and never returns empty parts', () => {
    const parts = splitIntoPieces('a😀b😀', 10);
    expect(parts).toEqual(['a', '😀', 'b', '😀']);
    expect(splitIntoPieces('', 3)).toEqual([]);
  });
});

describe('deltaCount', () => {
  it('gives several deltas for short texts and more when slow', () => {
    expect(deltaCount(2, false)).toBe(2);
    expect(deltaCount(30, false)).toBe(3);
    expect(deltaCount(30, true)).toBe(10);
    expect(deltaCount(100_000, false)).toBe(64);
  });
});
