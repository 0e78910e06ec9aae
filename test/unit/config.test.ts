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

  it('bearer tokens that switch routes on: empty is off, short is refused, long enough is kept', () => {
    // .env.example has `METRICS_TOKEN=` and `OPERATOR_TOKEN=`: copied as is, the app must start.
    const off = loadConfig({ ...valid, METRICS_TOKEN: '', OPERATOR_TOKEN: '  ' });
    expect(off.metricsToken).toBeUndefined();
    expect(off.operatorToken).toBeUndefined();
    expect(loadConfig(valid).metricsToken).toBeUndefined();
    const on = loadConfig({ ...valid, METRICS_TOKEN: 'm'.repeat(32), OPERATOR_TOKEN: 'o'.repeat(40) });
    expect(on.metricsToken).toBe('m'.repeat(32));
    expect(on.operatorToken).toBe('o'.repeat(40));
    let err: unknown;
    try {
      loadConfig({ ...valid, METRICS_TOKEN: 'short', OPERATOR_TOKEN: 'x'.repeat(31) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.find((p) => p.startsWith('METRICS_TOKEN:'))).toMatch(/at least 32 characters/);
    expect(problems.find((p) => p.startsWith('OPERATOR_TOKEN:'))).toMatch(/at least 32 characters/);
  });

  it('.env.example lists every variable the app reads, with a comment', () => {
    const example = readFileSync('.env.example', 'utf8');
    for (const { name, description } of describeEnv()) {
      expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
      expect(description, name).not.toBe('');
    }
  });
});
