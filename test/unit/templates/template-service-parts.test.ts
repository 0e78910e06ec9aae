import { describe, expect, it } from 'vitest';
import { TemplateAccess } from '../../../src/modules/templates/template-access.js';
import { checkUpload, sniffMedia } from '../../../src/modules/templates/template-media.js';
import { examplesFrom, statusFromGupshup } from '../../../src/modules/templates/template-view.js';
import { ForbiddenError, AppError } from '../../../src/shared/errors.js';
import type { ApiPrincipal } from '../../../src/modules/tokens/tokens.service.js';

const user = (userId: number | null, admin = false): ApiPrincipal => ({
  portalId: 1,
  tokenId: null,
  userId,
  admin,
  via: 'frontend',
});

/** Roles of a fake portal: user 2 is a sales rep on A, user 3 boss on A and quality control on B. */
const access = new TemplateAccess({
  channelRoles: async (p) =>
    p.userId === 2
      ? [{ channelId: 'A', qualityControl: false, salesRep: true, boss: false }]
      : p.userId === 3
        ? [
            { channelId: 'A', qualityControl: false, salesRep: false, boss: true },
            { channelId: 'B', qualityControl: true, salesRep: false, boss: false },
          ]
        : [],
});

describe('who may do what with templates', () => {
  it('lets admins do everything on every channel', async () => {
    expect(await access.scope(user(1, true), 'manage')).toBe('all');
  });

  it('reads with any role, uses as sales or boss, manages as boss, channel by channel', async () => {
    expect([...((await access.scope(user(3), 'read')) as Set<string>)].sort()).toEqual(['A', 'B']);
    expect([...((await access.scope(user(3), 'manage')) as Set<string>)]).toEqual(['A']);
    expect([...((await access.scope(user(2), 'use')) as Set<string>)]).toEqual(['A']);
    await expect(access.require(user(2), 'manage', 'A')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(access.require(user(3), 'manage', 'B')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(access.require(user(3), 'read', 'B')).resolves.toBeUndefined();
  });

  it('refuses someone without any role before anything else', async () => {
    await expect(access.requireAny(user(9), 'read')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(access.requireAny(user(null), 'use')).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('header files', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
  const mp4 = (brand: string) =>
    Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from(`ftyp${brand}`), Buffer.alloc(8)]);

  it('knows JPEG, PNG, PDF and MP4 by their first bytes', () => {
    expect(sniffMedia(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffMedia(png)).toBe('image/png');
    expect(sniffMedia(Buffer.from('%PDF-1.7'))).toBe('application/pdf');
    expect(sniffMedia(mp4('isom'))).toBe('video/mp4');
    expect(sniffMedia(mp4('3gp4'))).toBeUndefined();
    expect(sniffMedia(Buffer.from('GIF89a'))).toBeUndefined();
  });

  it('takes a file within its type’s limit and names it', () => {
    expect(checkUpload(png, 'image/png; charset=binary', 'mi foto')).toMatchObject({
      mime: 'image/png',
      type: 'IMAGE',
      name: 'mi foto.png',
    });
  });

  it('refuses a type it does not take, bytes that are another type, and a file over the limit', () => {
    const status = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as AppError).httpStatus;
      }
      return 200;
    };
    expect(status(() => checkUpload(png, 'image/gif', undefined))).toBe(415);
    expect(status(() => checkUpload(png, 'application/pdf', undefined))).toBe(415);
    expect(
      status(() => checkUpload(Buffer.concat([png, Buffer.alloc(2 * 1024 * 1024)]), 'image/png', undefined)),
    ).toBe(413);
    expect(status(() => checkUpload(Buffer.alloc(0), 'image/png', undefined))).toBe(400);
  });
});

describe('reading Gupshup’s templates', () => {
  it('maps Gupshup’s statuses, any case; leaves unknown ones alone', () => {
    expect(statusFromGupshup('APPROVED')).toBe('approved');
    expect(statusFromGupshup('in_appeal')).toBe('in_appeal');
    expect(statusFromGupshup('PENDING_DELETION')).toBe('deleted');
    expect(statusFromGupshup('SOMETHING_NEW')).toBeUndefined();
  });

  it('reads the examples back from the sample text', () => {
    expect(examplesFrom('Hola {{1}}, pedido {{2}} listo.', 'Hola Ana, pedido A-1 listo.')).toEqual([
      'Ana',
      'A-1',
    ]);
    expect(examplesFrom('Hola {{1}}.', 'Something else')).toEqual(['']);
    expect(examplesFrom('Sin variables', 'Sin variables')).toEqual([]);
  });
});
