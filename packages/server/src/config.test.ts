import { describe, expect, it } from 'vitest';
import {
  assertPermissionModeRunnable,
  assertSafeBinding,
  ConfigError,
  defaultMaxLive,
  isLoopbackHost,
  loadConfig,
  tenantsWithShortKeys,
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
      /AGENT_SESSIONS_STREAM_TOKENS must be one of 1, 0, true, false, on, off, yes, no, got "maybe"/,
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

  it('says which variable or flag is wrong and what it expects', () => {
    const message = (input: Parameters<typeof loadConfig>[0]) => {
      try {
        loadConfig(input);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(message({ env: { PORT: 'abc' } })).toContain(
      'PORT must be an integer between 0 and 65535, got "abc"',
    );
    expect(message({ env: { PORT: '70000' } })).toContain(
      'PORT must be an integer between 0 and 65535, got "70000"',
    );
    expect(message({ env: {}, flags: { maxLive: '0' } })).toContain(
      '--max-live must be an integer, 1 or more, got "0"',
    );
    expect(message({ env: { AGENT_SESSIONS_PERMISSION_MODE: 'yolo' } })).toContain(
      'AGENT_SESSIONS_PERMISSION_MODE must be one of default, acceptEdits, plan, dontAsk, bypassPermissions, got "yolo"',
    );
    expect(message({ env: { PORT: 'abc' } })).not.toMatch(/NaN|expected number/);
    // Secrets are named, never echoed.
    const short = message({ env: { AGENT_SESSIONS_METRICS_TOKEN: 'secret-123' } });
    expect(short).toContain(
      'AGENT_SESSIONS_METRICS_TOKEN must be a token of 16 or more characters',
    );
    expect(short).not.toContain('secret-123');
  });

  it('accepts AGENT_SESSIONS_KEYS of any non-empty length (tenantA:keyA,tenantB:keyB), flags the short ones', () => {
    const config = loadConfig({ env: { AGENT_SESSIONS_KEYS: 'tenantA:keyA,tenantB:keyB' } });
    expect(config.keys).toEqual([
      { tenantId: 'tenantA', key: 'keyA' },
      { tenantId: 'tenantB', key: 'keyB' },
    ]);
    expect(tenantsWithShortKeys(config.keys)).toEqual(['tenantA', 'tenantB']);
    expect(tenantsWithShortKeys([{ tenantId: 't', key: 'k'.repeat(16) }])).toEqual([]);
  });

  it('keeps AGENT_SESSIONS_KEYS strict: pairs, no empty parts, no repeated key; never echoes a key', () => {
    const cases: Array<[string, RegExp]> = [
      ['noSecretColon', /entry 1 has no ":"/],
      ['alpha:', /entry 1 has an empty key/],
      [':zSecret1', /entry 1 has an empty tenant/],
      ['alpha:zSecret1,,beta:zSecret2', /entry 2 is empty/],
      ['alpha:zSecret1,', /entry 2 is empty/],
      ['alpha:zSecret1,beta:zSecret1', /entry 2 repeats a key/],
      ['alpha:zSecret1 zSecret2', /entry 1 has whitespace inside its key/],
    ];
    for (const [value, problem] of cases) {
      let text = '';
      try {
        loadConfig({ env: { AGENT_SESSIONS_KEYS: value } });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        text = (error as Error).message;
      }
      expect(text, value).toMatch(problem);
      expect(text).toMatch(/AGENT_SESSIONS_KEYS must be tenant:key pairs separated by commas/);
      expect(text).not.toMatch(/zSecret|noSecret/);
    }
  });

  it('takes every operator permission mode; bypassPermissions as root needs IS_SANDBOX=1', () => {
    for (const mode of ['default', 'acceptEdits', 'plan', 'dontAsk', 'bypassPermissions']) {
      expect(loadConfig({ env: { AGENT_SESSIONS_PERMISSION_MODE: mode } }).permissionMode).toBe(
        mode,
      );
    }
    expect(() =>
      assertPermissionModeRunnable('bypassPermissions', { isRoot: true, isSandbox: false }),
    ).toThrow(/bypassPermissions needs IS_SANDBOX=1 when the server runs as root/);
    expect(() =>
      assertPermissionModeRunnable('bypassPermissions', { isRoot: true, isSandbox: true }),
    ).not.toThrow();
    expect(() =>
      assertPermissionModeRunnable('bypassPermissions', { isRoot: false, isSandbox: false }),
    ).not.toThrow();
    expect(() =>
      assertPermissionModeRunnable('dontAsk', { isRoot: true, isSandbox: false }),
    ).not.toThrow();
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
