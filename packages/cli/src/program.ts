import { Command } from 'commander';
import { registerChatCommand } from './chat-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerScriptedModelCommand } from './scripted-model-command.js';
import { registerServeCommand } from './serve-command.js';

/**
 * Builds the `agent-sessions` command line.
 *
 * @example
 * ```ts
 * await createProgram().parseAsync(['node', 'agent-sessions', 'scripted-model', '--port', '4100']);
 * ```
 */
export function createProgram(): Command {
  const program = new Command('agent-sessions')
    .description('Run Claude Agent SDK agents as a durable, multi-user service')
    .version('0.1.0');
  registerServeCommand(program);
  registerKeysCommand(program);
  registerScriptedModelCommand(program);
  registerChatCommand(program);
  return program;
}
