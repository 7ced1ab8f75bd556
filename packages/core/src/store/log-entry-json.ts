import type { EncodedLogEntry, LogEntry } from './store.js';

// The encoded form of entries a store has already encoded (at commit or read), so fan-out to
// many sockets stringifies each entry at most once and shares one encoded object. Weak: it
// lives as long as the entry does.
const knownJson = new WeakMap<object, EncodedLogEntry>();

/**
 * The JSON text of a log entry as stored (without `seq`), with `seq` added as `readLog` adds
 * it: `JSON.stringify({ ...JSON.parse(data), seq })`, but by splicing text instead of parsing.
 * Falls back to the parse when the stored object may already hold a `seq` key (its position
 * would then be kept) or is not a plain object.
 *
 * @example
 * ```ts
 * withSeq('{"type":"a"}', 3); // '{"type":"a","seq":3}'
 * ```
 */
export function withSeq(data: string, seq: number): string {
  if (data.length > 2 && data.charCodeAt(0) === 123 /* { */ && !data.includes('"seq"')) {
    // Stored by JSON.stringify, so no whitespace: the text ends with the object's `}`.
    return `${data.slice(0, -1)},"seq":${seq}}`;
  }
  return JSON.stringify({ ...(JSON.parse(data) as object), seq });
}

/**
 * Records `json` as the wire text of `entry` (a store does this for the objects it returns,
 * having the text at hand). The entry must not be mutated afterwards: log entries never are.
 */
export function rememberLogEntryJson(entry: LogEntry, json: string): void {
  knownJson.set(entry, { seq: entry.seq, json });
}

/**
 * `JSON.stringify(entry)`, from the text the store recorded when it has one.
 *
 * @example
 * ```ts
 * socket.send(logEntryJson(entry));
 * ```
 */
export function logEntryJson(entry: LogEntry): string {
  return knownJson.get(entry)?.json ?? JSON.stringify(entry);
}

/**
 * An entry in its encoded form, reusing (and sharing: treat it as read-only) the one the
 * store recorded when there is one.
 */
export function encodeLogEntry(entry: LogEntry): EncodedLogEntry {
  return knownJson.get(entry) ?? { seq: entry.seq, json: JSON.stringify(entry) };
}

/** Parses an encoded entry back into a {@link LogEntry}, remembering its text. */
export function decodeLogEntry(encoded: EncodedLogEntry): LogEntry {
  const entry = JSON.parse(encoded.json) as LogEntry;
  knownJson.set(entry, encoded);
  return entry;
}
