import { describe, expect, it } from 'vitest';
import { parseDirectives } from './directives.js';
import { estimateTokens, nothingToRecall, planResponse } from './plan-response.js';
import { readConversation } from './user-text.js';

let ids = 0;
function plan(messages: unknown[], inputChars = 40) {
  const conversation = readConversation(messages);
  return planResponse({
    conversation,
    directives: parseDirectives(conversation.userText),
    inputChars,
    newToolUseId: () => `toolu_${++ids}`,
  });
}
const user = (text: string) => ({ role: 'user', content: [{ type: 'text', text }] });
const assistant = (text: string) => ({ role: 'assistant', content: [{ type: 'text', text }] });
const toolUse = (id: string, name: string) => ({
  role: 'assistant',
  content: [{ type: 'tool_use', id, name, input: {} }],
});
const toolResult = (id: string, content: string) => ({
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: id, content }],
});

describe('planResponse', () => {
  it('echoes a text without directives and estimates usage from lengths', () => {
    const result = plan([user('hello world')], 401);
    expect(result.blocks).toEqual([{ type: 'text', text: 'Echo: hello world' }]);
    expect(result.stopReason).toBe('end_turn');
    expect(result.usage).toEqual({ inputTokens: 101, outputTokens: 5 });
  });

  it('echoes the text without its directives when only modifiers are given', () => {
    expect(plan([user('[[slow:10]] hi there')]).blocks).toEqual([
      { type: 'text', text: 'Echo: hi there' },
    ]);
  });

  it('replies exactly and reports [[tokens]] usage', () => {
    const result = plan([user('[[tokens:1000:20]] [[reply:exact text]]')]);
    expect(result.blocks).toEqual([{ type: 'text', text: 'exact text' }]);
    expect(result.usage).toEqual({ inputTokens: 1000, outputTokens: 20 });
  });

  it('recalls earlier user texts, or says there is nothing', () => {
    expect(
      plan([user('a'), assistant('x'), user('b'), assistant('y'), user('[[recall]]')]).blocks,
    ).toEqual([{ type: 'text', text: 'a | b' }]);
    expect(plan([user('[[recall]]')]).blocks).toEqual([{ type: 'text', text: nothingToRecall }]);
  });

  it('calls the tool first, then reports its result cut to 200 characters', () => {
    const first = plan([user('[[tool:Bash:{"command":"ls"}]]')]);
    expect(first.stopReason).toBe('tool_use');
    expect(first.blocks[0]).toMatchObject({
      type: 'tool_use',
      name: 'Bash',
      input: { command: 'ls' },
    });
    const id = (first.blocks[0] as { id: string }).id;
    const long = 'x'.repeat(250);
    const second = plan([
      user('[[tool:Bash:{"command":"ls"}]]'),
      toolUse(id, 'Bash'),
      toolResult(id, long),
    ]);
    expect(second.stopReason).toBe('end_turn');
    expect(second.blocks).toEqual([{ type: 'text', text: `Tool Bash done: ${'x'.repeat(200)}` }]);
  });

  it('calls several tools one after the other, then reports the last', () => {
    const text = '[[tool:Read:{"a":1}]] [[tool:Bash:{"b":2}]]';
    const second = plan([user(text), toolUse('t1', 'Read'), toolResult('t1', 'r1')]);
    expect(second.blocks[0]).toMatchObject({ type: 'tool_use', name: 'Bash', input: { b: 2 } });
    const third = plan([
      user(text),
      toolUse('t1', 'Read'),
      toolResult('t1', 'r1'),
      toolUse('t2', 'Bash'),
      toolResult('t2', 'r2'),
    ]);
    expect(third.blocks).toEqual([{ type: 'text', text: 'Tool Bash done: r2' }]);
  });
});

describe('estimateTokens', () => {
  it('is a quarter of the characters, at least one', () => {
    expect(estimateTokens(0)).toBe(1);
    expect(estimateTokens(8)).toBe(2);
    expect(estimateTokens(9)).toBe(3);
  });
});
