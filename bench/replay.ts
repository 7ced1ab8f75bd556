/**
 * replay: a client reconnecting to a session with a 10k-entry log (`/ws?session=&after=0`),
 * time from opening the socket to the last entry parsed, against a raw better-sqlite3 read of
 * the same rows from the same database file. Goal: <= 1.5x.
 */

import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ANONYMOUS_TENANT } from '@agent-sessions/server';
import Database from 'better-sqlite3';
import { WebSocketServer } from 'ws';
import {
  atMost,
  type Benchmark,
  info,
  now,
  ratioOf,
  sleep,
  summarize,
  withTimeout,
} from './harness.js';
import { startRealServer } from './support/bench-server.js';
import { benchEntry } from './support/fanout.js';
import { connect } from './support/ws-client.js';

const benchmark: Benchmark = {
  name: 'replay',
  description: 'reconnect to a 10k-entry log, time to the last entry vs raw SQLite read (<= 1.5x)',
  async run(context) {
    const entries = 10_000;
    const server = await startRealServer({ maxLive: 1 });
    const database = new Database(join(server.dataDir, 'agent-sessions.db'), { readonly: true });
    try {
      const sessionId = 'replay-bench';
      await server.store.createSession({
        id: sessionId,
        tenantId: ANONYMOUS_TENANT,
        title: 'replay',
      });
      for (let start = 0; start < entries; start += 500) {
        const batch = Array.from({ length: 500 }, (_, offset) => benchEntry(start + offset));
        await server.store.commit(sessionId, { entries: batch });
      }
      const url = `${server.wsUrl}/ws?session=${sessionId}&after=0`;
      const reconnect = async () => {
        const started = now();
        let last: () => void = () => {};
        const done = new Promise<void>((resolve) => {
          last = resolve;
        });
        let count = 0;
        const client = await connect(url, {
          onFrame: (frame) => {
            if (typeof frame.seq === 'number' && frame.benchIndex !== undefined) count += 1;
            if (frame.seq === entries) last();
          },
        });
        await withTimeout(done, 30_000, 'the last replayed entry');
        if (count !== entries) throw new Error(`replay delivered ${count} of ${entries} entries`);
        const elapsed = now() - started;
        await client.close();
        return elapsed;
      };
      const statement = database.prepare(
        'SELECT seq, data FROM log_entries WHERE session_id = ? AND seq > ? ORDER BY seq',
      );
      const rawRead = () => {
        const started = now();
        const rows = statement.all(sessionId, 0) as { seq: number; data: string }[];
        if (rows.length !== entries) throw new Error(`raw read found ${rows.length} rows`);
        return { rows, elapsed: now() - started };
      };
      const rawReadParse = () => {
        const started = now();
        const { rows } = rawRead();
        for (const row of rows) JSON.parse(row.data);
        return now() - started;
      };

      // A second baseline with the same transport: a plain `ws` server that reads the rows on
      // connection and sends each stored JSON text as a frame; the client parses every frame.
      const rawServer = new WebSocketServer({
        host: '127.0.0.1',
        port: 0,
        perMessageDeflate: false,
      });
      await new Promise<void>((resolve) => rawServer.once('listening', () => resolve()));
      rawServer.on('connection', (socket) => {
        for (const row of statement.all(sessionId, 0) as { seq: number; data: string }[]) {
          socket.send(row.data);
        }
      });
      const rawUrl = `ws://127.0.0.1:${(rawServer.address() as AddressInfo).port}`;
      const rawOverWs = async () => {
        const started = now();
        let count = 0;
        let last: () => void = () => {};
        const done = new Promise<void>((resolve) => {
          last = resolve;
        });
        const client = await connect(rawUrl, {
          onFrame: () => {
            count += 1;
            if (count === entries) last();
          },
        });
        await withTimeout(done, 30_000, 'the last raw frame');
        const elapsed = now() - started;
        await client.close();
        return elapsed;
      };

      // Warm-up: the first open also warms the session's CLI process; let it settle.
      await reconnect();
      await sleep(1_000);
      rawRead();

      const ours: number[] = [];
      const raw: number[] = [];
      const rawParsed: number[] = [];
      const rawWs: number[] = [];
      const target = context.quick ? 10 : 40;
      for (let index = 0; index < target && context.remainingMs() > 3_000; index += 1) {
        raw.push(rawRead().elapsed);
        rawParsed.push(rawReadParse());
        rawWs.push(await rawOverWs());
        ours.push(await reconnect());
      }
      rawServer.close();
      const oursSummary = summarize(ours);
      const rawSummary = summarize(raw);
      const parsedSummary = summarize(rawParsed);
      const rawWsSummary = summarize(rawWs);
      return {
        rows: [
          { label: 'ours: WS reconnect after=0 -> last entry', unit: 'ms', summary: oursSummary },
          { label: 'raw better-sqlite3 read of the rows', unit: 'ms', summary: rawSummary },
          { label: 'raw read + JSON.parse of each row', unit: 'ms', summary: parsedSummary },
          {
            label: 'raw read sent over a plain ws server, client parses',
            unit: 'ms',
            summary: rawWsSummary,
          },
        ],
        ratios: [
          atMost('ours / raw read (median)', ratioOf(oursSummary.median, rawSummary.median), 1.5),
          info('ours / raw read+parse (median)', ratioOf(oursSummary.median, parsedSummary.median)),
          info(
            'ours / raw read over plain ws (median)',
            ratioOf(oursSummary.median, rawWsSummary.median),
          ),
        ],
        notes: [
          `${entries} entries of ~500 bytes in one session; ours includes the WebSocket handshake, session.ready, encoding and the client's JSON.parse of every frame`,
        ],
      };
    } finally {
      database.close();
      await server.close();
    }
  },
};

export default benchmark;
