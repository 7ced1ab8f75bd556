import { describe, expect, it } from 'vitest';
import { CLIENT_FRAME_TYPES, clientFrameSchema } from './client-frames.js';
import { MAX_CLIENT_MESSAGE_ID_LENGTH, MAX_PERMISSION_MESSAGE_CHARS } from './limits.js';

function accepts(frame: unknown): boolean {
  return clientFrameSchema.safeParse(frame).success;
}

describe('clientFrameSchema', () => {
  it('accepts every frame type in its documented shape', () => {
    const frames = [
      { type: 'message', content: 'hi' },
      { type: 'message', content: [{ type: 'text', text: 'hi' }], policy: 'interrupt' },
      { type: 'message', content: 'hi', policy: 'reject', clientMessageId: 'c-1' },
      { type: 'message', content: 'hi', policy: 'enqueue' },
      { type: 'interrupt' },
      { type: 'reset' },
      { type: 'permission', requestId: 'r-1', behavior: 'allow' },
      { type: 'permission', requestId: 'r-1', behavior: 'deny', message: 'not that file' },
      { type: 'ping' },
    ];
    for (const frame of frames) expect(clientFrameSchema.parse(frame)).toEqual(frame);
    expect(new Set(frames.map((frame) => frame.type))).toEqual(new Set(CLIENT_FRAME_TYPES));
  });

  it('keeps the original design frames working', () => {
    expect(clientFrameSchema.parse({ type: 'message', content: 'hello' })).toEqual({
      type: 'message',
      content: 'hello',
    });
    expect(clientFrameSchema.parse({ type: 'reset' })).toEqual({ type: 'reset' });
  });

  it('strips unknown fields rather than refusing them', () => {
    expect(clientFrameSchema.parse({ type: 'ping', extra: 1 })).toEqual({ type: 'ping' });
  });

  it('refuses invalid frames of every type', () => {
    const bad = [
      {},
      { type: 'nope' },
      { type: 'message' },
      { type: 'message', content: '' },
      { type: 'message', content: [] },
      { type: 'message', content: 'hi', policy: 'later' },
      { type: 'message', content: 'hi', clientMessageId: '' },
      { type: 'message', content: 'hi', clientMessageId: 7 },
      {
        type: 'message',
        content: 'hi',
        clientMessageId: 'x'.repeat(MAX_CLIENT_MESSAGE_ID_LENGTH + 1),
      },
      { type: 'permission', behavior: 'allow' },
      { type: 'permission', requestId: 'r', behavior: 'maybe' },
      { type: 'permission', requestId: '', behavior: 'allow' },
      {
        type: 'permission',
        requestId: 'r',
        behavior: 'deny',
        message: 'x'.repeat(MAX_PERMISSION_MESSAGE_CHARS + 1),
      },
      { type: 'interrupt', extra: undefined, __proto__: null },
      { type: 'MESSAGE', content: 'hi' },
      { type: ['message'], content: 'hi' },
    ];
    // The __proto__ frame above is a valid interrupt with a null prototype: keep it honest.
    expect(accepts(bad[13])).toBe(true);
    bad.splice(13, 1);
    for (const frame of bad) expect(accepts(frame), JSON.stringify(frame)).toBe(false);
  });

  it('accepts a clientMessageId exactly at the limit', () => {
    expect(
      accepts({
        type: 'message',
        content: 'x',
        clientMessageId: 'x'.repeat(MAX_CLIENT_MESSAGE_ID_LENGTH),
      }),
    ).toBe(true);
  });
});
