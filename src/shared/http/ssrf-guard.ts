import { promises as dns } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { isRefusedHostname, isPublicAddress } from '../hosts.js';

/**
 * The SSRF guard of every outbound connection (Bitrix24 portals and OAuth, Gupshup, media links):
 * an undici Agent whose connector refuses special-purpose IP literals and names itself, and resolves
 * every other name once, refusing it when ANY of its addresses is special-purpose. The socket then
 * connects to exactly the addresses that were checked, so a second DNS answer (rebinding) is never
 * used. Off only with `B24_ALLOW_PRIVATE_HOSTS=true` (the local sandboxes live on 127.0.0.1).
 */

/** The connection was refused before any socket was opened. `code` follows Node's errno style. */
export class BlockedAddressError extends Error {
  readonly code = 'ESSRF';
  constructor(readonly hostname: string) {
    // The host only: never the addresses it resolved to (internal names must not be mapped from outside).
    super(`refused to connect to ${hostname}: not a public address`);
    this.name = 'BlockedAddressError';
  }
}

export function isBlockedAddressError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  return e?.code === 'ESSRF' || e?.cause?.code === 'ESSRF';
}

/** Name → all its addresses. Injected in tests (no real DNS there); the system resolver otherwise. */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) => dns.lookup(hostname, { all: true });

/**
 * A `net` lookup that resolves with `resolve` and refuses the name when any address is special-purpose
 * (all families are checked, whatever family the socket asked for).
 */
export function guardedLookup(resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    const fail = (err: NodeJS.ErrnoException) => callback(err, '', 0);
    resolve(hostname).then(
      (all) => {
        if (all.some((a) => !isPublicAddress(a.address))) return fail(new BlockedAddressError(hostname));
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const list = family ? all.filter((a) => a.family === family) : all;
        const first = list[0];
        if (!first) {
          return fail(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
        }
        if (options.all) return callback(null, list);
        callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => fail(err),
    );
  };
}

/**
 * Resolves `hostname` and refuses it unless every address is public: for checks made before anything
 * is called (an install claiming a portal host), so the caller gets a clear 4xx at once.
 */
export async function assertResolvesPublic(
  hostname: string,
  resolve: Resolve = systemResolve,
): Promise<void> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isRefusedHostname(bare)) throw new BlockedAddressError(bare);
  if (isIP(bare)) return;
  const all = await resolve(bare);
  if (all.length === 0 || all.some((a) => !isPublicAddress(a.address))) throw new BlockedAddressError(bare);
}

/** The guarded lookup with the system resolver. */
export const publicOnlyLookup: LookupFunction = guardedLookup(systemResolve);

export interface GuardOptions {
  /** Resolver to check and connect with (tests inject one); the system resolver by default. */
  resolve?: Resolve | undefined;
  /** Time-out of one connection attempt (undici's default: 10 s). */
  connectTimeoutMs?: number | undefined;
}

/**
 * The guarded undici connector. Node does not call `lookup` for IP literals, so literals (and
 * special names such as `localhost.`) are judged here, before the base connector opens anything.
 */
export function guardedConnector(o: GuardOptions = {}): buildConnector.connector {
  const base = buildConnector({
    lookup: guardedLookup(o.resolve ?? systemResolve),
    ...(o.connectTimeoutMs !== undefined ? { timeout: o.connectTimeoutMs } : {}),
  });
  return (opts, callback) => {
    if (isRefusedHostname(opts.hostname)) {
      const err = new BlockedAddressError(isIP(opts.hostname) === 6 ? `[${opts.hostname}]` : opts.hostname);
      process.nextTick(() => callback(err, null));
      return;
    }
    base(opts, callback);
  };
}

/** The dispatcher for outbound HTTP when private hosts are not allowed. */
export function createGuardedAgent(o: GuardOptions = {}): Agent {
  return new Agent({ connect: guardedConnector(o) });
}

let shared: Agent | undefined;
/** One guarded Agent with the system resolver, for callers not handed a dispatcher. */
export function defaultGuardedAgent(): Agent {
  shared ??= createGuardedAgent();
  return shared;
}
