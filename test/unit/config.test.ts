import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configWarnings, describeEnv, loadConfig } from '../../src/config.js';

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

  it('PUBLIC_URL must be an absolute http(s) URL', () => {
    for (const bad of ['localhost:3000', 'whatsapp.example.com', 'ftp://example.com', '/b24']) {
      expect(() => loadConfig({ ...valid, PUBLIC_URL: bad }), bad).toThrow(
        /PUBLIC_URL: must be an absolute http\(s\) URL/,
      );
    }
    expect(loadConfig({ ...valid, PUBLIC_URL: 'http://127.0.0.1:3000/' }).publicUrl).toBe(
      'http://127.0.0.1:3000',
    );
  });

  it('a plain-http PUBLIC_URL is allowed with a warning, unless it is on this machine', () => {
    const warn = (u: string) => configWarnings(loadConfig({ ...valid, PUBLIC_URL: u }));
    expect(warn('http://wa.example.com')).toEqual([expect.stringMatching(/PUBLIC_URL .* is not https/)]);
    expect(warn('http://192.168.1.10:3000')).toHaveLength(1);
    for (const local of [
      'https://wa.example.com',
      'http://localhost:3000',
      'http://app.localhost',
      'http://127.0.0.1:3000',
      'http://127.8.9.10',
      'http://[::1]:3000',
    ]) {
      expect(warn(local), local).toEqual([]);
    }
  });

  it('DATABASE_URL: empty is the embedded database; otherwise only a PostgreSQL URL', () => {
    expect(loadConfig({ ...valid, DATABASE_URL: '' }).databaseUrl).toBeUndefined();
    for (const ok of ['postgres://u:p@db:5432/app', 'postgresql://u@db/app?sslmode=require']) {
      expect(loadConfig({ ...valid, DATABASE_URL: ok }).databaseUrl).toBe(ok);
    }
    for (const bad of ['http://example.com', 'mysql://u:p@db/app', 'db:5432']) {
      expect(() => loadConfig({ ...valid, DATABASE_URL: bad }), bad).toThrow(
        /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/,
      );
    }
  });

  it('an empty required variable is reported as required', () => {
    expect(() => loadConfig({ ...valid, PUBLIC_URL: ' ', APP_SECRET: '' })).toThrow(
      /PUBLIC_URL: is required; APP_SECRET: is required/,
    );
  });
});

/** The schema, `.env.example` and the README's Configuration table name the same variables. */
describe('configuration documents', () => {
  const vars = describeEnv();
  const names = vars.map((v) => v.name).sort();
  const example = readFileSync('.env.example', 'utf8');
  const exampleValues = new Map(
    [...example.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
  const readme = readFileSync('README.md', 'utf8');
  const section = /^## Configuration\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  /** Table rows: variables of the first cell, required?, defaults of the third cell. */
  const rows = section
    .split('\n')
    .filter((l) => /^\| `[A-Z]/.test(l))
    .map((l) => {
      const cells = l.split('|').slice(1, -1);
      const ticks = (c = '') => [...c.matchAll(/`([^`]*)`/g)].map((m) => m[1] as string);
      return { names: ticks(cells[0]), required: cells[1]?.trim() === 'yes', defaults: ticks(cells[2]) };
    });

  it('.env.example lists every variable of the schema, each with a comment, and nothing else', () => {
    for (const { name, description } of vars) {
      expect(example, name).toMatch(new RegExp(`^# .+\\n${name}=`, 'm'));
      expect(description, name).not.toBe('');
    }
    expect([...exampleValues.keys()].sort()).toEqual(names);
  });

  it('.env.example shows each default as the value', () => {
    for (const v of vars) {
      if (v.default !== undefined) expect(exampleValues.get(v.name), v.name).toBe(v.default);
    }
  });

  it("the README's table has every variable once, which are required, and their defaults", () => {
    expect(rows.flatMap((r) => r.names).sort()).toEqual(names);
    for (const row of rows) {
      row.names.forEach((name, i) => {
        const v = vars.find((x) => x.name === name);
        expect(row.required, name).toBe(v?.required);
        if (v?.default !== undefined) {
          const shown = row.defaults.length === row.names.length ? row.defaults[i] : row.defaults[0];
          expect(shown, name).toBe(v.default);
        }
      });
    }
  });
});
