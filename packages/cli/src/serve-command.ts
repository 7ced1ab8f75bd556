import { ConfigError, loadConfig, type ServerConfig, startServer } from '@agent-sessions/server';
import type { Command } from 'commander';

interface ServeOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  maxLive?: string;
  hibernateAfterMs?: string;
  permissionMode?: string;
  model?: string;
  dailyBudgetUsd?: string;
  logLevel?: string;
}

/**
 * `agent-sessions serve`: the server from flags and environment (flags win). SIGTERM/SIGINT
 * shut it down gracefully and exit 0; past `shutdownTimeoutMs` the process exits 1 anyway, and
 * a second signal during the drain exits 1 at once.
 *
 * @example
 * ```sh
 * agent-sessions serve --port 3000 --data-dir ./data
 * ```
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve agent sessions over HTTP, WebSocket and SSE (see docs/operations.md)')
    .option('--port <port>', 'port to listen on (env PORT, default 3000; 0 picks a free one)')
    .option('--host <host>', 'address to bind (env HOST, default 127.0.0.1)')
    .option(
      '--data-dir <dir>',
      'SQLite database, API keys and workspaces (env DATA_DIR, default ./data)',
    )
    .option('--max-live <n>', 'cap on live CLI processes (env AGENT_SESSIONS_MAX_LIVE)')
    .option(
      '--hibernate-after-ms <ms>',
      'idle time before a session process is closed (env AGENT_SESSIONS_HIBERNATE_AFTER_MS)',
    )
    .option(
      '--permission-mode <mode>',
      'SDK permission mode for new sessions: default, acceptEdits, plan, dontAsk or bypassPermissions (as root only with IS_SANDBOX=1) (env AGENT_SESSIONS_PERMISSION_MODE)',
    )
    .option('--model <model>', 'default model (env AGENT_SESSIONS_MODEL)')
    .option(
      '--daily-budget-usd <usd>',
      'per-tenant spend per UTC day, 0 = none (env AGENT_SESSIONS_DAILY_BUDGET_USD)',
    )
    .option('--log-level <level>', 'pino log level (env LOG_LEVEL, default info)')
    .action(async (options: ServeOptions) => {
      let config: ServerConfig;
      try {
        config = loadConfig({ env: process.env, flags: { ...options } });
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`agent-sessions: ${error.message}\n`);
          process.exit(2);
        }
        throw error;
      }
      let running: Awaited<ReturnType<typeof startServer>>;
      try {
        running = await startServer(config);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`agent-sessions: cannot start: ${message}\n`);
        process.exit(error instanceof ConfigError ? 2 : 1);
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          // A second Ctrl-C means "now": acknowledged messages are durable either way.
          process.stderr.write(`agent-sessions: second ${signal}, exiting without draining\n`);
          process.exit(1);
        }
        stopping = true;
        process.stdout.write(`agent-sessions: ${signal} received, shutting down\n`);
        const forced = setTimeout(() => {
          process.stderr.write('agent-sessions: shutdown took too long, exiting\n');
          process.exit(1);
        }, config.shutdownTimeoutMs);
        forced.unref();
        running.close().then(
          () => {
            process.stdout.write('agent-sessions: stopped\n');
            process.exit(0);
          },
          (error: unknown) => {
            process.stderr.write(`agent-sessions: shutdown failed: ${String(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
