import type { ConversationTurn, ToolCall } from '@agent-sessions/client';
import { memo, useMemo } from 'react';
import { formatCost, formatDuration, formatTokens } from './format.js';
import { renderMarkdown } from './markdown.js';
import { ToolCard } from './tool-card.js';

function Markdown({ text, streaming }: { text: string; streaming?: boolean }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return (
    <div
      className={`markdown${streaming ? ' streaming' : ''}`}
      // Sanitized by renderMarkdown: raw HTML is escaped, unsafe links are dropped.
      // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized markdown
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}

const outcomeLabels = { success: 'Done', error: 'Failed', interrupted: 'Interrupted', running: '' };

/** One turn: the user's message, then the agent's text and tool calls in order, then totals. */
export const TurnView = memo(function TurnView({ turn }: { turn: ConversationTurn }) {
  const calls = new Map<string, ToolCall>(turn.toolCalls.map((call) => [call.id, call]));
  const running = turn.outcome === 'running';
  const waitingFirstToken = running && turn.parts.length === 0 && turn.streamingText.length === 0;
  const tokens = turn.usage;
  return (
    <article className="turn" data-testid="turn" data-outcome={turn.outcome}>
      {turn.userText ? (
        <div className="user-row">
          <div className="user-bubble">{turn.userText}</div>
        </div>
      ) : null}
      <div className="assistant" data-testid="assistant">
        {turn.parts.map((part, index) =>
          part.kind === 'text' ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: parts are append-only
            <Markdown key={index} text={part.text} />
          ) : calls.get(part.toolCallId) ? (
            <ToolCard key={part.toolCallId} call={calls.get(part.toolCallId)!} />
          ) : null,
        )}
        {running && turn.streamingText ? <Markdown text={turn.streamingText} streaming /> : null}
        {waitingFirstToken ? (
          <div className="thinking" role="status" aria-label="Waiting for the agent">
            <span />
            <span />
            <span />
          </div>
        ) : null}
        {!running && turn.parts.length === 0 && turn.errors.length === 0 ? (
          <p className="no-reply">No reply.</p>
        ) : null}
        {turn.errors.map((error) => (
          <div key={error.seq} className="notice error">
            {error.error} <code className="notice-code">{error.code}</code>
          </div>
        ))}
      </div>
      {!running ? (
        <footer className={`turn-meta ${turn.outcome}`} data-testid="turn-meta">
          <span className="outcome">{outcomeLabels[turn.outcome]}</span>
          <span>{formatCost(turn.costUsd)}</span>
          {tokens ? (
            <span>
              {formatTokens(
                tokens.inputTokens + tokens.cacheReadInputTokens + tokens.cacheCreationInputTokens,
              )}{' '}
              in · {formatTokens(tokens.outputTokens)} out
            </span>
          ) : null}
          <span>{formatDuration(turn.durationMs)}</span>
        </footer>
      ) : null}
    </article>
  );
});
