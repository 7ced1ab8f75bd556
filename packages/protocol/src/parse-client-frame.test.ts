import { describe, expect, it } from 'vitest';
import { CLIENT_FRAME_TYPES } from './client-frames.js';
import { MAX_FRAME_BYTES } from './limits.js';
import { parseClientFrame } from './parse-client-frame.js';

function expectInvalid(data: string | ArrayBuffer | Uint8Array, pattern: RegExp) {
  const result = parseClientFrame(data);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe('INVALID_FRAME');
  expect(result.error).toMatch(pattern);
}

// Mulberry32: a tiny seeded PRNG, so the fuzz inputs are the same on every run.
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  const integer = (maximum: number) => Math.floor(next() * maximum);
  const pick = <T>(items: readonly T[]): T => items[integer(items.length)] as T;
  return { next, integer, pick };
}

type Random = ReturnType<typeof createRandom>;

const interestingStrings = [
  '',
  'message',
  'ping',
  'permission',
  '__proto__',
  'constructor',
  '\u0000',
  '\ud800',
  '😀',
  'x'.repeat(300),
];

function randomString(random: Random): string {
  if (random.next() < 0.3) return random.pick(interestingStrings);
  const length = random.integer(20);
  let text = '';
  for (let index = 0; index < length; index++) text += String.fromCharCode(random.integer(0x10000));
  return text;
}

function randomValue(random: Random, depth: number): unknown {
  const kind = random.integer(depth > 3 ? 6 : 9);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random.next() < 0.5;
    case 2:
      return random.pick([0, -1, 1.5, 1e308, -0, 2 ** 53, Number.MAX_SAFE_INTEGER + 2]);
    case 3:
    case 4:
      return randomString(random);
    case 5:
      return random.pick(CLIENT_FRAME_TYPES);
    case 6:
      return Array.from({ length: random.integer(4) }, () => randomValue(random, depth + 1));
    default: {
      const value: Record<string, unknown> = {};
      const keys = [
        'type',
        'content',
        'policy',
        'clientMessageId',
        'requestId',
        'behavior',
        'message',
        'text',
        'source',
        'tool_use_id',
      ];
      for (let index = random.integer(5); index > 0; index--) {
        value[random.next() < 0.8 ? random.pick(keys) : randomString(random)] = randomValue(
          random,
          depth + 1,
        );
      }
      return value;
    }
  }
}

const validFrames: Record<string, unknown>[] = [
  { type: 'message', content: 'hi', policy: 'interrupt', clientMessageId: 'c-1' },
  {
    type: 'message',
    content: [
      { type: 'text', text: 'hi' },
      { type: 'tool_result', tool_use_id: 't' },
    ],
  },
  { type: 'interrupt' },
  { type: 'reset' },
  { type: 'permission', requestId: 'r-1', behavior: 'allow', message: 'ok' },
  { type: 'ping' },
];

// A valid frame with at most one field dropped or replaced: near misses find more edge cases
// than pure noise, and about half of them stay valid.
function mutatedFrame(random: Random): Record<string, unknown> {
  const frame = structuredClone(random.pick(validFrames));
  const keys = Object.keys(frame);
  const key = random.pick(keys);
  const action = random.integer(4);
  if (action === 0) delete frame[key];
  else if (action === 1) frame[key] = randomValue(random, 2);
  return frame;
}

function randomFrame(random: Random): string | Uint8Array | ArrayBuffer {
  const kind = random.integer(8);
  if (kind >= 6) return JSON.stringify(mutatedFrame(random));
  if (kind === 0) return randomString(random);
  if (kind === 1) {
    const bytes = new Uint8Array(random.integer(64));
    for (let index = 0; index < bytes.length; index++) bytes[index] = random.integer(256);
    return random.next() < 0.5 ? bytes : bytes.buffer;
  }
  const json = JSON.stringify(randomValue(random, 0)) ?? 'undefined';
  if (kind === 2 && json.length > 1) {
    // Truncate or corrupt valid JSON.
    return json.slice(0, random.integer(json.length));
  }
  return kind === 3 ? new TextEncoder().encode(json) : json;
}

describe('parseClientFrame', () => {
  it('parses each frame type from a string, a Uint8Array and an ArrayBuffer', () => {
    const frame = { type: 'message', content: 'héllo 😀', clientMessageId: 'c-1' };
    const text = JSON.stringify(frame);
    const bytes = new TextEncoder().encode(text);
    for (const data of [text, bytes, bytes.slice().buffer]) {
      expect(parseClientFrame(data)).toEqual({ ok: true, frame });
    }
    for (const type of ['interrupt', 'reset', 'ping']) {
      expect(parseClientFrame(JSON.stringify({ type }))).toEqual({ ok: true, frame: { type } });
    }
    const permission = { type: 'permission', requestId: 'r-1', behavior: 'deny', message: 'no' };
    expect(parseClientFrame(JSON.stringify(permission))).toEqual({ ok: true, frame: permission });
  });

  it('reports bad JSON, non-objects, a missing or unknown type', () => {
    expectInvalid('not json', /not valid JSON/);
    expectInvalid('{"type":"message"', /not valid JSON/);
    expectInvalid('', /not valid JSON/);
    expectInvalid('[1,2]', /JSON object/);
    expectInvalid('"message"', /JSON object/);
    expectInvalid('null', /JSON object/);
    expectInvalid('{}', /"type"/);
    expectInvalid('{"type":5}', /"type"/);
    expectInvalid(
      '{"type":"shout"}',
      /Unknown frame type "shout".*message, interrupt, reset, permission, ping/,
    );
  });

  it('names the offending field in a human sentence', () => {
    const cases: [string, string][] = [
      ['{"type":"message"}', 'Invalid "message" frame: field "content" is required.'],
      [
        '{"type":"message","content":""}',
        'Invalid "message" frame: field "content" must not be empty.',
      ],
      [
        '{"type":"message","content":5}',
        'Invalid "message" frame: field "content" must be a string or an array.',
      ],
      [
        '{"type":"message","content":[]}',
        'Invalid "message" frame: field "content" must not be empty.',
      ],
      [
        '{"type":"message","content":[{"type":"text"}]}',
        'Invalid "message" frame: field "content[0].text" is required.',
      ],
      [
        '{"type":"message","content":[{"type":"text","text":3}]}',
        'Invalid "message" frame: field "content[0].text" must be a string.',
      ],
      [
        '{"type":"message","content":[{"type":"video"}]}',
        'Invalid "message" frame: field "content[0].type" must be one of "text", "image", "document", "search_result", "tool_result".',
      ],
      [
        '{"type":"message","content":"x","policy":"soon"}',
        'Invalid "message" frame: field "policy" must be one of "enqueue", "interrupt", "reject".',
      ],
      [
        '{"type":"message","content":"x","clientMessageId":""}',
        'Invalid "message" frame: field "clientMessageId" must not be empty.',
      ],
      [
        '{"type":"permission","behavior":"allow"}',
        'Invalid "permission" frame: field "requestId" is required.',
      ],
      [
        '{"type":"permission","requestId":"r","behavior":"ok"}',
        'Invalid "permission" frame: field "behavior" must be one of "allow", "deny".',
      ],
    ];
    for (const [frame, sentence] of cases) {
      expect(parseClientFrame(frame)).toEqual({
        ok: false,
        error: sentence,
        code: 'INVALID_FRAME',
      });
    }
  });

  it('refuses non-text input with INVALID_FRAME and invalid UTF-8 bytes', () => {
    for (const value of [42, null, undefined, {}, ['{"type":"ping"}'], new Blob(['{}'])]) {
      const result = parseClientFrame(value as unknown as string);
      expect(result).toMatchObject({ ok: false, code: 'INVALID_FRAME' });
    }
    expectInvalid(new Uint8Array([0x7b, 0xff, 0x7d]), /UTF-8/);
  });

  it('refuses frames over MAX_FRAME_BYTES with PAYLOAD_TOO_LARGE, counting UTF-8 bytes', () => {
    const envelope = JSON.stringify({ type: 'message', content: '' });
    const fill = (bytes: number) =>
      JSON.stringify({ type: 'message', content: 'a'.repeat(bytes - envelope.length) });
    const atLimit = fill(MAX_FRAME_BYTES);
    expect(new TextEncoder().encode(atLimit).byteLength).toBe(MAX_FRAME_BYTES);
    // At the byte limit the frame passes size checks (then fails on MAX_CONTENT_CHARS, not size).
    expect(parseClientFrame(atLimit)).toMatchObject({ ok: false, code: 'INVALID_FRAME' });
    expect(parseClientFrame(fill(MAX_FRAME_BYTES + 1))).toMatchObject({
      ok: false,
      code: 'PAYLOAD_TOO_LARGE',
    });
    const bytes = new TextEncoder().encode(fill(MAX_FRAME_BYTES + 1));
    expect(parseClientFrame(bytes)).toMatchObject({ ok: false, code: 'PAYLOAD_TOO_LARGE' });
    expect(parseClientFrame(bytes.buffer)).toMatchObject({ ok: false, code: 'PAYLOAD_TOO_LARGE' });
    // 'é' is 2 bytes but 1 UTF-16 unit: length alone would let this through.
    const wide = JSON.stringify({ type: 'message', content: 'é'.repeat(MAX_FRAME_BYTES / 2) });
    expect(wide.length).toBeLessThan(MAX_FRAME_BYTES);
    expect(parseClientFrame(wide)).toMatchObject({ ok: false, code: 'PAYLOAD_TOO_LARGE' });
    // An emoji is 4 bytes in 2 units.
    const emoji = JSON.stringify({ type: 'message', content: '😀'.repeat(MAX_FRAME_BYTES / 4) });
    expect(parseClientFrame(emoji)).toMatchObject({ ok: false, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('honours a custom maximumBytes', () => {
    const frame = JSON.stringify({ type: 'ping' });
    expect(parseClientFrame(frame, { maximumBytes: frame.length }).ok).toBe(true);
    expect(parseClientFrame(frame, { maximumBytes: frame.length - 1 })).toMatchObject({
      ok: false,
      code: 'PAYLOAD_TOO_LARGE',
    });
  });

  it('never throws on 5000 seeded random inputs and always returns a wire-ready result', () => {
    const random = createRandom(20240611);
    let accepted = 0;
    for (let index = 0; index < 5000; index++) {
      const data = randomFrame(random);
      let result: ReturnType<typeof parseClientFrame> | undefined;
      expect(() => {
        result = parseClientFrame(data);
      }).not.toThrow();
      if (!result) throw new Error('no result');
      if (result.ok) {
        accepted++;
        expect(CLIENT_FRAME_TYPES).toContain(result.frame.type);
      } else {
        expect(['INVALID_FRAME', 'PAYLOAD_TOO_LARGE']).toContain(result.code);
        expect(result.error).toMatch(/^[A-Z].*\.$/s);
      }
    }
    // The generator must also produce valid frames, or the fuzz only exercises rejection.
    expect(accepted).toBeGreaterThan(50);
  });
});
