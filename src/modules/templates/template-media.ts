import { AppError } from '../../shared/errors.js';
import { cleanFileName } from '../media/kinds.js';
import { mediaTypeOf, TEMPLATE_MEDIA, type MediaTemplateType } from './template-model.js';

/**
 * A header file a caller uploads (a template's sample, or the header to send): its type is what its
 * first bytes say, and must be what the caller declared; its size within the seed's limit for that
 * type (template-model.ts TEMPLATE_MEDIA). Checked before anything is stored.
 */

/** The type the first bytes show: JPEG, PNG, PDF or MP4; undefined for anything else. */
export function sniffMedia(bytes: Buffer): string | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'image/png';
  }
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  // ISO base media: a `ftyp` box first. 3GPP, QuickTime and audio-only brands are not MP4 video.
  if (bytes.length >= 12 && bytes.subarray(4, 8).toString('latin1') === 'ftyp') {
    const brand = bytes.subarray(8, 12).toString('latin1');
    return /^(3g|qt {2}|M4A |M4B )/.test(brand) ? undefined : 'video/mp4';
  }
  return undefined;
}

const EXTENSION: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'application/pdf': 'pdf',
  'video/mp4': 'mp4',
};

export interface CheckedUpload {
  bytes: Buffer;
  mime: string;
  type: MediaTemplateType;
  name: string;
}

/** The upload as it will be stored, or a 4xx saying what is wrong with it. */
export function checkUpload(
  bytes: Buffer,
  declared: string | undefined,
  name: string | undefined,
): CheckedUpload {
  const mime = (declared ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const type = mediaTypeOf(mime);
  if (!type) {
    throw new AppError(
      'unsupported_media_type',
      'Send the file as image/jpeg, image/png, application/pdf or video/mp4',
      415,
    );
  }
  if (bytes.length === 0) throw new AppError('bad_request', 'The file is empty', 400);
  const max = TEMPLATE_MEDIA[type].maxBytes;
  if (bytes.length > max) {
    throw new AppError(
      'payload_too_large',
      `The file has ${bytes.length} bytes; a ${mime} header takes at most ${max} bytes`,
      413,
    );
  }
  if (sniffMedia(bytes) !== mime) {
    throw new AppError('unsupported_media_type', `The file's content is not ${mime}`, 415);
  }
  const ext = EXTENSION[mime] ?? 'bin';
  const clean = cleanFileName(name, mime, 'sample');
  return { bytes, mime, type, name: clean.toLowerCase().endsWith(`.${ext}`) ? clean : `${clean}.${ext}` };
}
