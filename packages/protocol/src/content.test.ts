import { describe, expect, it } from 'vitest';
import { contentSchema } from './content.js';
import { MAX_CONTENT_BLOCKS, MAX_CONTENT_CHARS } from './limits.js';

const png = { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' };

describe('contentSchema', () => {
  it('accepts a non-empty string and refuses an empty one', () => {
    expect(contentSchema.parse('hello')).toBe('hello');
    expect(contentSchema.safeParse('').success).toBe(false);
  });

  it('accepts each Messages API block form', () => {
    const blocks = [
      { type: 'text', text: 'Look:' },
      { type: 'image', source: png },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
      { type: 'image', source: { type: 'file', file_id: 'file_1' } },
      {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
        title: 'Spec',
      },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain' } },
      { type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'a' }] } },
      { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
      {
        type: 'search_result',
        source: 'https://example.com',
        title: 'Result',
        content: [{ type: 'text', text: 'snippet' }],
      },
      { type: 'tool_result', tool_use_id: 'toolu_1', content: 'done' },
      {
        type: 'tool_result',
        tool_use_id: 'toolu_2',
        content: [
          { type: 'text', text: 'out' },
          { type: 'image', source: png },
        ],
        is_error: true,
      },
      { type: 'tool_result', tool_use_id: 'toolu_3' },
    ];
    expect(contentSchema.parse(blocks)).toEqual(blocks);
  });

  it('keeps unknown fields on known blocks (cache_control, citations)', () => {
    const blocks = [
      { type: 'text', text: 'hi', cache_control: { type: 'ephemeral' }, citations: [] },
    ];
    expect(contentSchema.parse(blocks)).toEqual(blocks);
  });

  it('refuses malformed blocks', () => {
    const bad: unknown[] = [
      [],
      [{ type: 'text' }],
      [{ type: 'text', text: '' }],
      [{ type: 'text', text: 5 }],
      [{ type: 'video', url: 'x' }],
      [{ text: 'no type' }],
      ['just a string in an array'],
      [null],
      [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'x' } }],
      [{ type: 'image', source: { type: 'url' } }],
      [{ type: 'image' }],
      [{ type: 'document', source: { type: 'base64', media_type: 'image/png', data: 'x' } }],
      [{ type: 'tool_result' }],
      [
        {
          type: 'tool_result',
          tool_use_id: 't',
          content: [{ type: 'tool_result', tool_use_id: 'u' }],
        },
      ],
      [{ type: 'tool_result', tool_use_id: 't', is_error: 'yes' }],
      [{ type: 'search_result', source: 'x', title: 't', content: [] }],
      42,
      null,
      { type: 'text', text: 'an object, not an array' },
    ];
    for (const content of bad) {
      expect(contentSchema.safeParse(content).success, JSON.stringify(content)).toBe(false);
    }
  });

  it('enforces MAX_CONTENT_CHARS on strings and text blocks, and MAX_CONTENT_BLOCKS', () => {
    const atLimit = 'a'.repeat(MAX_CONTENT_CHARS);
    const overLimit = `${atLimit}a`;
    expect(contentSchema.safeParse(atLimit).success).toBe(true);
    expect(contentSchema.safeParse(overLimit).success).toBe(false);
    expect(contentSchema.safeParse([{ type: 'text', text: atLimit }]).success).toBe(true);
    expect(contentSchema.safeParse([{ type: 'text', text: overLimit }]).success).toBe(false);
    const block = { type: 'text', text: 'x' };
    expect(contentSchema.safeParse(Array(MAX_CONTENT_BLOCKS).fill(block)).success).toBe(true);
    expect(contentSchema.safeParse(Array(MAX_CONTENT_BLOCKS + 1).fill(block)).success).toBe(false);
  });
});
