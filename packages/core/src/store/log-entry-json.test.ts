import { describe, expect, it } from 'vitest';
import {
  decodeLogEntry,
  encodeLogEntry,
  logEntryJson,
  rememberLogEntryJson,
  withSeq,
} from './log-entry-json.js';
import type { LogEntry } from './store.js';

/** What readLog has always returned for a stored text: parse, then add seq. */
function reference(data: string, seq: number): string {
  return JSON.stringify({ ...(JSON.parse(data) as object), seq });
}

describe('withSeq', () => {
  it('splices seq into stored JSON exactly as parse + spread + stringify would', () => {
    const samples = [
      { type: 'a' },
      { type: 'assistant', message: { content: [{ type: 'text', text: 'hi } "x"' }] }, n: null },
      { type: 'own', seq: 7, after: true },
      { type: 'nested', inner: { seq: 1 } },
      { type: 'unicode', text: 'ünï ✓ \u2028 \n' },
    ];
    for (const sample of samples) {
      const data = JSON.stringify(sample);
      expect(withSeq(data, 42)).toBe(reference(data, 42));
    }
    expect(withSeq('{"type":"a"}', 3)).toBe('{"type":"a","seq":3}');
  });

  it('falls back to parsing for an empty object', () => {
    expect(withSeq('{}', 1)).toBe('{"seq":1}');
  });
});

describe('logEntryJson', () => {
  it('returns the remembered text of an entry, else stringifies it', () => {
    const entry: LogEntry = { seq: 1, type: 'a' };
    expect(logEntryJson(entry)).toBe('{"seq":1,"type":"a"}');
    rememberLogEntryJson(entry, '{"type":"a","seq":1}');
    expect(logEntryJson(entry)).toBe('{"type":"a","seq":1}');
    expect(encodeLogEntry(entry)).toEqual({ seq: 1, json: '{"type":"a","seq":1}' });
    const decoded = decodeLogEntry({ seq: 2, json: '{"type":"b","seq":2}' });
    expect(decoded).toEqual({ type: 'b', seq: 2 });
    expect(logEntryJson(decoded)).toBe('{"type":"b","seq":2}');
  });
});
