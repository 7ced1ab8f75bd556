import { createScriptedModel } from '@agent-sessions/scripted-model';
import type { Command } from 'commander';

export function registerScriptedModelCommand(program: Command): void {
  program
    .command('scripted-model')
    .description('Serve the scripted model: a local fake of the Anthropic Messages API')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '4100')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (options: { port: string; host: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        program.error(`--port must be an integer between 0 and 65535, got "${options.port}"`);
      }
      const model = await createScriptedModel({ port, host: options.host });
      process.stdout.write(`scripted model listening on ${model.url}\n`);
      const stop = async () => {
        await model.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
