import { Command } from 'commander';
import { registerScriptedModelCommand } from './scripted-model-command.js';

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
  registerScriptedModelCommand(program);
  return program;
}
