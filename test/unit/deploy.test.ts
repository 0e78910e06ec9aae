import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVER_BUNDLE } from '../../scripts/build.js';
import { describeEnv } from '../../src/config.js';
import { readDockerfile, ROOT, type Stage } from '../helpers/dockerfile.js';

/**
 * The container image and the compose file (docs/deploy.md) checked without Docker, which the machines
 * that run the suite do not have: what they copy exists, what they run is defined, what they set is
 * read by src/config.ts. test/integration/deploy-image.test.ts starts the server from the image's files.
 */

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const CONFIG_VARS = new Set(describeEnv().map((v) => v.name));
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const stages = readDockerfile();
const final = stages.at(-1)!;
const stage = (name: string | undefined): Stage | undefined => stages.find((s) => s.name === name);

/** .dockerignore's entries (top-level names and simple globs), as the build context leaves them out. */
const ignored = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const isIgnored = (p: string) =>
  ignored.some((pattern) => {
    const re = new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}(/|$)`);
    return re.test(p.replace(/^\.\//, ''));
  });

describe('Dockerfile', () => {
  it('builds in stages and runs the bundle as an unprivileged user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(final.user).toBeDefined();
    expect(['root', '0']).not.toContain(final.user?.split(':')[0]);
    expect(final.cmd?.[0]).toBe('node');
    expect(final.cmd?.at(-1)).toBe(SERVER_BUNDLE);
    // The bundle comes from a stage that builds it with the project's script.
    const dist = final.copies.find((c) => c.from && c.sources.some((s) => s.endsWith('/dist')));
    expect(stage(dist?.from)?.runs).toContain('npm run build');
    expect(SERVER_BUNDLE.startsWith('dist/')).toBe(true);
  });

  it('installs the production dependencies only, exactly as locked, for the running stage', () => {
    const modules = final.copies.find((c) => c.sources.some((s) => s.endsWith('/node_modules')));
    const deps = stage(modules?.from);
    expect(deps?.runs.some((r) => /^npm ci (.* )?--omit=dev\b/.test(r))).toBe(true);
    expect(deps?.copies.flatMap((c) => c.sources)).toEqual(['package.json', 'package-lock.json']);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const fromContext = stages.flatMap((s) => s.copies.filter((c) => !c.from).flatMap((c) => c.sources));
    expect(fromContext.length).toBeGreaterThan(5);
    for (const source of fromContext) {
      expect(existsSync(path.join(ROOT, source)), `${source} exists`).toBe(true);
      expect(isIgnored(source), `${source} is not in .dockerignore`).toBe(false);
    }
    // What the server reads at run time from the project folder (src/shared/paths.ts, app.ts, the
    // pages' script built from src/modules/pages/ui at start) is in the running stage.
    const shipped = final.copies.flatMap((c) => c.sources);
    for (const needed of ['package.json', 'migrations', 'views', 'src', 'tsconfig.json']) {
      expect(shipped, needed).toContain(needed);
    }
    // Local state and secrets never go into an image.
    for (const never of ['.env', '.data', 'node_modules', 'dist']) expect(isIgnored(never), never).toBe(true);
  });

  it('runs only npm scripts that package.json defines', () => {
    const named = stages.flatMap((s) =>
      s.runs.flatMap((r) => [...r.matchAll(/npm run (\S+)/g)].map((m) => m[1])),
    );
    expect(named).toContain('build');
    for (const name of named) expect(scripts, `npm run ${name}`).toHaveProperty(name!);
    expect(scripts.build).toContain('scripts/build.ts');
  });

  it('sets only variables the configuration reads (and NODE_ENV)', () => {
    const set = Object.keys(final.env);
    expect(set).toContain('DATA_DIR');
    for (const name of set) expect(name === 'NODE_ENV' || CONFIG_VARS.has(name), name).toBe(true);
  });
});

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  env_file?: string | string[];
  depends_on?: string[] | Record<string, unknown>;
  volumes?: string[];
}

describe('deploy/compose.yaml', () => {
  const text = read('deploy/compose.yaml');
  const compose = parse(text, { merge: true }) as { services: Record<string, ComposeService> };
  const services = compose.services;
  const apps = Object.entries(services).filter(([, s]) => s.build);
  const exampleVars = Object.fromEntries(
    read('deploy/.env.example')
      .split('\n')
      .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

  it('runs two app instances of the image, PostgreSQL and a proxy in front', () => {
    expect(apps.map(([name]) => name)).toEqual(['app1', 'app2']);
    for (const [, app] of apps) {
      expect(path.resolve(ROOT, 'deploy', app.build!.context)).toBe(ROOT);
      expect(existsSync(path.join(ROOT, app.build!.dockerfile))).toBe(true);
      expect(app.environment?.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(Object.keys(app.depends_on ?? {})).toContain('postgres');
    }
    expect(services.postgres?.image).toMatch(/^postgres:\d+/);
    expect(services.proxy?.depends_on).toEqual(['app1', 'app2']);
  });

  it('sets only variables the configuration reads, and the production values of the checklist', () => {
    for (const [name, app] of apps) {
      for (const key of Object.keys(app.environment ?? {})) {
        expect(CONFIG_VARS.has(key), `${name}: ${key}`).toBe(true);
      }
      expect(app.environment?.B24_ALLOW_PRIVATE_HOSTS).toBe('false');
      expect(app.environment?.PUBLIC_URL).toMatch(/^https:\/\//);
    }
    // deploy/.env (env_file) carries app variables and the two compose reads for itself.
    const composeOnly = new Set(['SITE_ADDRESS', 'POSTGRES_PASSWORD']);
    for (const key of Object.keys(exampleVars)) {
      expect(CONFIG_VARS.has(key) || composeOnly.has(key), key).toBe(true);
    }
  });

  it('interpolates only variables deploy/.env.example lists, and mounts files that exist', () => {
    for (const m of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) expect(exampleVars, m[1]).toHaveProperty(m[1]!);
    for (const [, app] of apps) expect(app.env_file).toBe('.env');
    const binds = Object.values(services)
      .flatMap((s) => s.volumes ?? [])
      .filter((v) => v.startsWith('./'));
    expect(binds.length).toBeGreaterThan(0);
    for (const bind of binds) {
      expect(existsSync(path.join(ROOT, 'deploy', bind.split(':')[0]!)), bind).toBe(true);
    }
  });

  it('has the proxy balance over every app instance on its port, checking /readyz', () => {
    const caddy = read('deploy/Caddyfile');
    for (const [name] of apps) expect(caddy).toContain(`${name}:3000`);
    expect(caddy).toMatch(/health_uri \/readyz/);
    expect(read('src/modules/health/health.routes.ts')).toContain("'/readyz'");
    // /metrics is scraped per instance on the inside, not through the public entry.
    expect(caddy).toMatch(/respond \/metrics 404/);
  });
});
