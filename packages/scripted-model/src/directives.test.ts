import { describe, expect, it } from 'vitest';
import { parseDirectives } from './directives.js';

describe('parseDirectives', () => {
  it('finds nothing in plain text and keeps the text', () => {
    const directives = parseDirectives('hello  there\nsecond line');
    expect(directives).toMatchObject({
      reply: undefined,
      recall: false,
      tools: [],
      slowMs: undefined,
      stallMs: undefined,
      error: undefined,
      broken: false,
      tokens: undefined,
      remainingText: 'hello  there\nsecond line',
    });
  });

  it('reads a reply whose text contains colons and brackets', () => {
    expect(parseDirectives('[[reply:a: b [x] c]]').reply).toBe('a: b [x] c');
  });

  it('keeps the first reply when several are given', () => {
    expect(parseDirectives('[[reply:one]] [[reply:two]]').reply).toBe('one');
  });

  it('combines every directive in one text and strips them from the remaining text', () => {
    const directives = parseDirectives(
      'before [[slow:2000]] [[stall:150]] [[error:500:2]] [[broken]] [[tokens:12:34]] [[recall]] [[reply:hi]] after',
    );
    expect(directives).toMatchObject({
      reply: 'hi',
      recall: true,
      slowMs: 2000,
      stallMs: 150,
      error: { status: 500, times: 2 },
      broken: true,
      tokens: { input: 12, output: 34 },
      remainingText: 'before after',
    });
  });

  it('reads an error without a count as failing every request', () => {
    expect(parseDirectives('[[error:529]]').error).toEqual({ status: 529, times: undefined });
  });

  it('ignores error statuses that are not HTTP errors', () => {
    expect(parseDirectives('[[error:200]]').error).toBeUndefined();
    expect(parseDirectives('[[error:abc]]').error).toBeUndefined();
    expect(parseDirectives('[[error:200]]').remainingText).toBe('[[error:200]]');
  });

  it('reads a tool call with JSON input, even when the JSON contains ]]', () => {
    const directives = parseDirectives(
      '[[tool:Bash:{"command":"echo hi > out.txt"}]] [[tool:Write:{"list":[[1,2]],"s":"]]"}]]',
    );
    expect(directives.tools).toEqual([
      { name: 'Bash', input: { command: 'echo hi > out.txt' } },
      { name: 'Write', input: { list: [[1, 2]], s: ']]' } },
    ]);
    expect(directives.remainingText).toBe('');
  });

  it('reads a tool call without input as an empty object', () => {
    expect(parseDirectives('[[tool:mcp__server__ping]]').tools).toEqual([
      { name: 'mcp__server__ping', input: {} },
    ]);
  });

  it('leaves malformed directives in the text', () => {
    const text = '[[tool:Bash:{not json}]] [[slow:fast]] [[tokens:1]] [[unknown:1]] [[recall';
    const directives = parseDirectives(text);
    expect(directives.tools).toEqual([]);
    expect(directives.slowMs).toBeUndefined();
    expect(directives.tokens).toBeUndefined();
    expect(directives.recall).toBe(false);
    expect(directives.remainingText).toBe(text);
  });

  it('rejects tool input that is JSON but not an object', () => {
    expect(parseDirectives('[[tool:Bash:[1,2]]]').tools).toEqual([]);
  });
});
