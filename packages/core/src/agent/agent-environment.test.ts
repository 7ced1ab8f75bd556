import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createAgentEnvironment,
  createOfflineEnvironment,
  OFFLINE_API_KEY,
} from './agent-environment.js';

describe('createAgentEnvironment', () => {
  const secret = `secret-${randomBytes(8).toString('hex')}`;
  afterEach(() => {
    delete process.env.SERVER_SECRET;
    delete process.env.DATABASE_URL;
  });

  it('never copies server variables outside the allowlist from process.env', () => {
    process.env.SERVER_SECRET = secret;
    process.env.DATABASE_URL = `postgres://user:${secret}@db/app`;
    const environment = createAgentEnvironment();
    expect(environment.SERVER_SECRET).toBeUndefined();
    expect(environment.DATABASE_URL).toBeUndefined();
    expect(JSON.stringify(environment)).not.toContain(secret);
    expect(environment.PATH).toBe(process.env.PATH);
    expect(environment.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe('1');
  });

  it('keeps the agent credentials from the host when online, explicit values win', () => {
    const source = {
      PATH: '/bin',
      ANTHROPIC_API_KEY: 'host-key',
      ANTHROPIC_BASE_URL: 'https://gateway.example',
      AWS_SECRET_ACCESS_KEY: secret,
    };
    expect(createAgentEnvironment({ source })).toEqual({
      PATH: '/bin',
      ANTHROPIC_API_KEY: 'host-key',
      ANTHROPIC_BASE_URL: 'https://gateway.example',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    });
    const explicit = createAgentEnvironment({
      source,
      apiKey: 'user-key',
      configDir: '/config',
      tmpDir: '/tmp/x',
      maxRetries: 3,
      disableNonessentialTraffic: false,
      passThrough: ['HTTPS_PROXY', 'MISSING'],
      extra: { IS_SANDBOX: '1' },
    });
    expect(explicit).toEqual({
      PATH: '/bin',
      ANTHROPIC_API_KEY: 'user-key',
      ANTHROPIC_BASE_URL: 'https://gateway.example',
      CLAUDE_CONFIG_DIR: '/config',
      CLAUDE_CODE_TMPDIR: '/tmp/x',
      CLAUDE_CODE_MAX_RETRIES: '3',
      IS_SANDBOX: '1',
    });
  });

  it('offline mode never inherits a host credential and requires a base URL', () => {
    const source = { PATH: '/bin', ANTHROPIC_API_KEY: secret, ANTHROPIC_AUTH_TOKEN: secret };
    expect(() => createAgentEnvironment({ offline: true, source })).toThrow(/baseUrl/);
    const environment = createAgentEnvironment({
      offline: true,
      baseUrl: 'http://127.0.0.1:1',
      source,
    });
    expect(JSON.stringify(environment)).not.toContain(secret);
    expect(environment.ANTHROPIC_API_KEY).toBe(OFFLINE_API_KEY);
  });
});

describe('createOfflineEnvironment', () => {
  it('is the offline env of sdk-notes.md', () => {
    process.env.SERVER_SECRET = 'leak-me-not';
    try {
      const environment = createOfflineEnvironment({
        baseUrl: 'http://127.0.0.1:4000',
        configDir: '/c',
        tmpDir: '/t',
      });
      expect(environment).toMatchObject({
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000',
        ANTHROPIC_API_KEY: OFFLINE_API_KEY,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CONFIG_DIR: '/c',
        CLAUDE_CODE_TMPDIR: '/t',
        CLAUDE_CODE_MAX_RETRIES: '2',
      });
      expect(Object.values(environment)).not.toContain('leak-me-not');
    } finally {
      delete process.env.SERVER_SECRET;
    }
  });
});
