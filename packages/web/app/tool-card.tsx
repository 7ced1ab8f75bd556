import type { ToolCall } from '@agent-sessions/client';
import { prettyJson, summarizeInput } from './format.js';

const statusText: Record<ToolCall['status'], string> = {
  running: 'Running',
  waiting_permission: 'Needs approval',
  done: 'Done',
  error: 'Error',
};

/** A tool call as a collapsible card: name and a one-line input, then full input and result. */
export function ToolCard({ call }: { call: ToolCall }) {
  const behavior = call.permission?.behavior;
  return (
    <details
      className={`tool-card ${call.status}`}
      data-testid="tool-card"
      data-status={call.status}
    >
      <summary>
        <span className="tool-icon" aria-hidden="true">
          ⌘
        </span>
        <span className="tool-name">{call.name}</span>
        <span className="tool-summary">{summarizeInput(call.input)}</span>
        {behavior ? (
          <span className={`tool-badge ${behavior}`}>
            {behavior === 'allow' ? 'Approved' : 'Denied'}
          </span>
        ) : null}
        <span className={`tool-badge ${call.status}`}>{statusText[call.status]}</span>
      </summary>
      <div className="tool-body">
        <div className="tool-section-label">Input</div>
        <pre>{prettyJson(call.input)}</pre>
        <div className="tool-section-label">Result</div>
        <pre data-testid="tool-result">
          {call.result === null ? '…' : call.result || '(no output)'}
        </pre>
      </div>
    </details>
  );
}
