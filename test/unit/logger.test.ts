import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/shared/logger.js';

/** One log line written through the app's logger options, parsed back. */
function logged(write: (log: pino.Logger) => void): Record<string, unknown> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = pino(loggerOptions('info'), sink);
  write(log);
  log.flush();
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
}

/** What pg throws when jsonb refuses a lone surrogate: the row's text is in `where` and `detail`. */
function jsonbRefusal(): pg.DatabaseError {
  const e = new pg.DatabaseError('invalid input syntax for type json', 120, 'error');
  Object.assign(e, {
    severity: 'ERROR',
    code: '22P02',
    detail: 'Unicode low surrogate must follow a high surrogate.',
    where: 'JSON data, line 1: {"text":"mi tarjeta es 4111 1111\\ud800...',
    internalQuery: 'SELECT \'{"text":"mi tarjeta"}\'::jsonb',
    hint: 'the customer wrote: mi tarjeta',
    routine: 'json_errsave_error',
    file: 'jsonfuncs.c',
    line: '646',
  });
  return e;
}

describe('error serializer', () => {
  it('keeps what failed and where in our code, and drops the quoted row of a pg error', () => {
    const line = logged((log) => log.error({ err: jsonbRefusal() }, 'Unexpected error.'));
    const err = line.err as Record<string, unknown>;
    expect(err).toMatchObject({
      type: 'DatabaseError',
      message: 'invalid input syntax for type json',
      code: '22P02',
      severity: 'ERROR',
      routine: 'json_errsave_error',
    });
    expect(err.stack).toEqual(expect.stringContaining('invalid input syntax for type json'));
    expect(err).not.toHaveProperty('where');
    expect(err).not.toHaveProperty('detail');
    expect(err).not.toHaveProperty('internalQuery');
    expect(err).not.toHaveProperty('hint');
    expect(JSON.stringify(line)).not.toContain('tarjeta');
  });

  it('serializes an error logged as the first argument the same way', () => {
    const line = logged((log) => log.error(jsonbRefusal()));
    expect(line.err).toMatchObject({ code: '22P02' });
    expect(JSON.stringify(line)).not.toContain('tarjeta');
  });

  it('drops request bodies and parameters other errors carry, nested ones too', () => {
    const e = Object.assign(new Error('upstream said no'), {
      code: 'E_UP',
      body: { text: 'hola secreto' },
      parameters: ['hola secreto'],
      details: [{ input: 'hola secreto' }],
      cause: Object.assign(new Error('inner'), { detail: 'hola secreto' }),
    });
    const line = logged((log) => log.warn({ err: new AggregateError([e], 'several') }, 'x'));
    expect(JSON.stringify(line)).not.toContain('secreto');
    expect(line.err).toMatchObject({
      message: 'several',
      aggregateErrors: [{ message: 'upstream said no: inner', code: 'E_UP' }],
    });
  });
});
