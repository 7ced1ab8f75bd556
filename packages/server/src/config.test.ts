import { describe, expect, it } from 'vitest';
import {
  assertSafeBinding,
  ConfigError,
  defaultMaxLive,
  isLoopbackHost,
  loadConfig,
} from './config.js';
import { httpStatusFor } from './http-status.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: './data',
      hibernateAfterMs: 600_000,
      unsubscribedGraceMs: 60_000,
      keys: [],
    });
    expect(config.maxLive).toBe(defaultMaxLive());
  });

  it('streams tokens by default; AGENT_SESSIONS_STREAM_TOKENS turns it off, junk is refused', () => {
    expect(loadConfig({ env: {} }).streamTokens).toBe(true);
    expect(loadConfig({ env: { AGENT_SESSIONS_STREAM_TOKENS: 'off' } }).streamTokens).toBe(false);
    expect(loadConfig({ env: { AGENT_SESSIONS_STREAM_TOKENS: '0' } }).streamTokens).toBe(false);
    expect(loadConfig({ env: { AGENT_SESSIONS_STREAM_TOKENS: 'TRUE' } }).streamTokens).toBe(true);
    expect(loadConfig({ flags: { streamTokens: false } }).streamTokens).toBe(false);
    expect(() => loadConfig({ env: { AGENT_SESSIONS_STREAM_TOKENS: 'maybe' } })).toThrow(
      /streamTokens \(AGENT_SESSIONS_STREAM_TOKENS\)/,
    );
  });

  it('reads env, lets flags win, parses AGENT_SESSIONS_KEYS', () => {
    const config = loadConfig({
      env: {
        PORT: '4000',
        HOST: '::1',
        AGENT_SESSIONS_KEYS: 'a:key-aaaaaaaa, b:key-bbbbbbbb',
        AGENT_SESSIONS_MAX_LIVE: '3',
      },
      flags: { port: '5000' },
    });
    expect(config.port).toBe(5000);
    expect(config.maxLive).toBe(3);
    expect(config.keys).toEqual([
      { tenantId: 'a', key: 'key-aaaaaaaa' },
      { tenantId: 'b', key: 'key-bbbbbbbb' },
    ]);
  });

  it('names the variable of every invalid value', () => {
    expect(() =>
      loadConfig({ env: { PORT: 'abc', AGENT_SESSIONS_PERMISSION_MODE: 'yolo' } }),
    ).toThrow(/PORT[\s\S]*AGENT_SESSIONS_PERMISSION_MODE/);
    expect(() => loadConfig({ env: { AGENT_SESSIONS_KEYS: 'nokey' } })).toThrow(ConfigError);
  });

  it('defaults max live from memory: (RAM - 2 GiB) / 250 MB, between 1 and 64', () => {
    expect(defaultMaxLive(24 * 1024 ** 3)).toBe(64);
    expect(defaultMaxLive(4 * 1024 ** 3)).toBe(8);
    expect(defaultMaxLive(1 * 1024 ** 3)).toBe(1);
  });

  it('refuses an off-loopback binding without keys', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(() => assertSafeBinding(loadConfig({ env: { HOST: '0.0.0.0' } }), false)).toThrow(
      /refusing to listen/,
    );
    expect(() => assertSafeBinding(loadConfig({ env: { HOST: '0.0.0.0' } }), true)).not.toThrow();
    expect(() =>
      assertSafeBinding(
        loadConfig({ env: { HOST: '0.0.0.0', AGENT_SESSIONS_KEYS: 't:k-12345678' } }),
        false,
      ),
    ).not.toThrow();
  });
});

describe('httpStatusFor', () => {
  it('maps codes to the contract statuses', () => {
    expect(
      [
        'BAD_REQUEST',
        'UNAUTHORIZED',
        'SESSION_NOT_FOUND',
        'SESSION_BUSY',
        'PAYLOAD_TOO_LARGE',
        'RATE_LIMITED',
        'SHUTTING_DOWN',
        'NOPE',
      ].map(httpStatusFor),
    ).toEqual([400, 401, 404, 409, 413, 429, 503, 500]);
  });
});
