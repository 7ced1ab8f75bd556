import { describe, expect, it } from 'vitest';
import { messageText, readConversation, stripSystemReminders } from './user-text.js';

const reminder = '<system-reminder>\nAs you answer the user, use this context.\n</system-reminder>';

function firstUserMessage(text: string) {
  return {
    role: 'user',
    content: [
      { type: 'text', text: reminder },
      { type: 'text', text },
    ],
  };
}
const assistantText = (text: string) => ({
  role: 'assistant',
  content: [{ type: 'text', text }],
});
const userText = (text: string) => ({
  role: 'user',
  content: [{ type: 'text', text, cache_control: { type: 'ephemeral' } }],
});
const systemEntry = { role: 'system', content: [{ type: 'text', text: '# Environment' }] };

describe('stripSystemReminders', () => {
  it('removes every reminder block, multi-line ones included, and trims', () => {
    expect(stripSystemReminders(`${reminder}\n  hi ${reminder} there  `)).toBe('hi  there');
  });
  it('leaves an unclosed reminder alone', () => {
    expect(stripSystemReminders('<system-reminder> hi')).toBe('<system-reminder> hi');
  });
});

describe('messageText', () => {
  it('joins text blocks, skipping reminders and tool results', () => {
    expect(
      messageText({
        role: 'user',
        content: [
          { type: 'text', text: reminder },
          { type: 'tool_result', tool_use_id: 't', content: 'ignored' },
          { type: 'text', text: 'one' },
          { type: 'text', text: ' two ' },
        ],
      }),
    ).toBe('one\ntwo');
  });
  it('drops the interrupt marker the CLI merges into the next user message', () => {
    expect(
      messageText({
        role: 'user',
        content: [
          { type: 'text', text: '[Request interrupted by user]\n' },
          { type: 'text', text: '[[recall]]' },
        ],
      }),
    ).toBe('[[recall]]');
    expect(
      messageText({ role: 'user', content: '[Request interrupted by user for tool use]' }),
    ).toBe('');
    expect(messageText({ role: 'user', content: 'I typed [Request interrupted by user]' })).toBe(
      'I typed [Request interrupted by user]',
    );
  });

  it('accepts string content and tolerates junk', () => {
    expect(messageText({ role: 'user', content: `${reminder} plain` })).toBe('plain');
    expect(messageText(null)).toBe('');
    expect(messageText({ role: 'user', content: [null, 3, { type: 'text' }] })).toBe('');
  });
});

describe('readConversation', () => {
  it('reads the last user text, ignoring role:system entries after it', () => {
    const conversation = readConversation([firstUserMessage('[[reply:x]]'), systemEntry]);
    expect(conversation.userText).toBe('[[reply:x]]');
    expect(conversation.turnMessageIndex).toBe(0);
    expect(conversation.turnOrdinal).toBe(0);
    expect(conversation.earlierUserTexts).toEqual([]);
    expect(conversation.toolFollowUp).toBeUndefined();
    expect(conversation.firstUserText).toBe('[[reply:x]]');
  });

  it('collects earlier user texts in order for recall, skipping tool-result-only messages', () => {
    const conversation = readConversation([
      firstUserMessage('alpha'),
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'out' }] },
      assistantText('Tool Bash done: out'),
      systemEntry,
      userText('beta'),
      assistantText('Echo: beta'),
      { role: 'user', content: [{ type: 'text', text: reminder }] },
      assistantText('ok'),
      userText('[[recall]]'),
    ]);
    expect(conversation.userText).toBe('[[recall]]');
    expect(conversation.earlierUserTexts).toEqual(['alpha', 'beta']);
    expect(conversation.turnOrdinal).toBe(4);
    expect(conversation.toolFollowUp).toBeUndefined();
    expect(conversation.toolCallsThisTurn).toBe(0);
  });

  it('finds the directive of a tool follow-up in the last user message that has text', () => {
    const conversation = readConversation([
      firstUserMessage('earlier'),
      assistantText('Echo: earlier'),
      userText('[[tool:Bash:{"command":"ls"}]]'),
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_9', name: 'Bash', input: {} }],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_9',
            content: [
              { type: 'text', text: 'file-a' },
              { type: 'image', source: {} },
              { type: 'text', text: 'file-b' },
            ],
          },
          { type: 'text', text: reminder },
        ],
      },
      systemEntry,
    ]);
    expect(conversation.userText).toBe('[[tool:Bash:{"command":"ls"}]]');
    expect(conversation.turnMessageIndex).toBe(2);
    expect(conversation.turnOrdinal).toBe(1);
    expect(conversation.earlierUserTexts).toEqual(['earlier']);
    expect(conversation.toolCallsThisTurn).toBe(1);
    expect(conversation.toolFollowUp).toEqual({ toolName: 'Bash', resultText: 'file-a\nfile-b' });
  });

  it('reports a tool result whose call is unknown without a name', () => {
    const conversation = readConversation([
      firstUserMessage('go'),
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'nope', content: 'r' }] },
    ]);
    expect(conversation.toolFollowUp).toEqual({ toolName: undefined, resultText: 'r' });
  });

  it('yields an empty text when no user message has text', () => {
    const conversation = readConversation([{ role: 'user', content: [] }]);
    expect(conversation.userText).toBe('');
    expect(conversation.turnMessageIndex).toBe(-1);
    expect(conversation.earlierUserTexts).toEqual([]);
  });
});
