import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeEnv, loadConfig } from '../../src/config.js';

const valid = {
  PUBLIC_URL: 'https://wa.example.com/',
  APP_SECRET: 'x'.repeat(40),
  B24_CLIENT_ID: 'local.1.2',
  B24_CLIENT_SECRET: 'secret',
};

describe('config', () => {
  it('parses a valid environment with defaults', () => {
    const c = loadConfig(valid);
    expect(c.publicUrl).toBe('https://wa.example.com');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.b24.oauthUrl).toBe('https://oauth.bitrix.info');
    expect(c.gupshup.apiUrl).toBe('https://api.gupshup.io');
    expect(c.worker.enabled).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names every problem in one error', () => {
    let err: unknown;
    try {
      loadConfig({
        APP_SECRET: 'short',
        PORT: 'eighty',
        GUPSHUP_API_URL: 'not a url',
        B24_CONNECTOR_ID: 'with.dot',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    for (const name of [
      'PUBLIC_URL: is required',
      'APP_SECRET',
      'B24_CLIENT_ID: is required',
      'B24_CLIENT_SECRET: is required',
      'PORT',
      'GUPSHUP_API_URL',
      'B24_CONNECTOR_ID',
    ]) {
      expect(problems).toContain(name);
    }
  });

  it('.env.example lists every variable the app reads, with a comment', () => {
    const example = readFileSync('.env.example', 'utf8');
    for (const { name, description } of describeEnv()) {
      expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
      expect(description, name).not.toBe('');
    }
  });
});
