/**
 * Domain errors carry a stable code and an HTTP status; routes never build HTTP errors themselves.
 * One error handler (app.ts) turns them into `{ error: { code, message, requestId } }`.
 */
export type ErrorCode =
  | 'validation_error'
  | 'bad_request'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'range_not_satisfiable'
  | 'too_many_requests'
  | 'upstream_unavailable'
  | 'upstream_rejected'
  | 'internal_error'
  // A test digest that cannot go (409, notifications/digests.service.ts): the tab shows the code.
  | 'template_not_approved'
  | 'no_recipients'
  | 'service_inactive';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly httpStatus: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super('validation_error', message, 400, details);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'Missing or invalid credentials') {
    super('unauthorized', message, 401);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super('forbidden', message, 403);
  }
}
export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super('not_found', message, 404);
  }
}
export class ConflictError extends AppError {
  constructor(message: string) {
    super('conflict', message, 409);
  }
}
/** One field a caller got wrong, with a stable code and words in the caller's language. */
export interface FieldIssue {
  field: string;
  code: string;
  message: string;
}

/**
 * A refusal that names every field at fault (templates): answered as the usual error body plus
 * `issues: [{ field, code, message }]`, so a page can put each message next to its field.
 */
export class FieldIssuesError extends AppError {
  constructor(
    code: 'validation_error' | 'conflict',
    readonly issues: FieldIssue[],
  ) {
    super(
      code,
      issues
        .map((i) => i.message)
        .slice(0, 5)
        .join('; ') || code,
      code === 'conflict' ? 409 : 400,
    );
  }
}

/** A `Range` no part of the file satisfies; `size` goes into `Content-Range: bytes *\/size`. */
export class RangeNotSatisfiableError extends AppError {
  constructor(readonly size: number) {
    super('range_not_satisfiable', `The requested range is outside the file (${size} bytes)`, 416);
  }
}

/**
 * A failed call to Bitrix24 or Gupshup. Only adapters construct it. `retryable` decides between retry
 * and dead letter; `authFailure` marks credentials the customer must fix.
 */
export class ProviderError extends Error {
  constructor(
    readonly provider: 'bitrix24' | 'gupshup' | 'stripe' | 'paypal' | 'smsapi',
    readonly operation: string,
    message: string,
    readonly opts: {
      status?: number | undefined;
      providerCode?: string | undefined;
      retryable: boolean;
      authFailure?: boolean;
      retryAfterMs?: number | undefined;
      /** A rate budget ran out, not a fault: retry later without spending one of the job's attempts. */
      throttled?: boolean;
    },
  ) {
    super(message);
    this.name = 'ProviderError';
  }
  get retryable(): boolean {
    return this.opts.retryable;
  }
  get providerCode(): string | undefined {
    return this.opts.providerCode;
  }
  get status(): number | undefined {
    return this.opts.status;
  }
}

/**
 * A call the SSRF guard refused (`shared/http/ssrf-guard.ts`): the portal or link names a host that is
 * not public. The address is at fault, not the provider, so callers answer it as a 4xx.
 */
export function isRefusedAddress(err: unknown): err is ProviderError {
  return err instanceof ProviderError && err.providerCode === 'blocked_address';
}

/** What a caller is told when the portal's address is refused (install, later calls alike). */
export const NOT_PUBLIC_HOST = 'The portal address must be a public host';

/** Reads a zod error into a short sentence naming the fields at fault. */
export function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
