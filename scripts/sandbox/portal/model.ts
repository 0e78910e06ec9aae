/** What the portal keeps and how a REST method sees a call: the sandbox's own shapes (not public). */
import type { PortalChatMessage, SandboxPortalOptions } from './types.js';

export type Params = Record<string, unknown>;
export type PortalUser = NonNullable<SandboxPortalOptions['users']>[number];
export type PortalLine = NonNullable<SandboxPortalOptions['lines']>[number];
export type PortalDepartment = NonNullable<SandboxPortalOptions['departments']>[number];
export type ChatFile = PortalChatMessage['files'][number];

/** A REST error: `{"error": code, "error_description": …}` with an HTTP status (§1.5). */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }
}

export interface Res {
  result: unknown;
  total?: number;
  next?: number;
}

export interface Ctx {
  /** params with top-level keys upper-cased (the core does array_change_key_case) */
  p: Params;
  user: PortalUser;
  inBatch: boolean;
  /** The application the call's token was issued to, when not ours (app.info reports it). */
  appCode?: string;
}

export interface AccessToken {
  userId: number;
  expiresAt: number; // ms
  forcedExpired: boolean;
  revoked: boolean;
  /** Issued to another application installed on the portal (its code); ours when absent. */
  appCode?: string;
}

export interface Binding {
  id: number;
  event: string;
  handler: string;
  authType: number;
  offline: boolean;
}

export interface LineState {
  active: boolean;
  error: boolean;
  data: Record<string, unknown> | null;
}

export interface Chat {
  id: number;
  sessionId: number;
  line: number;
  connector: string;
  externalChatId: string;
  externalUserId: string;
  connectorUserId: number;
  name: string;
}

export interface StoredMessage extends PortalChatMessage {
  deleted: boolean;
  system: boolean;
  /** The portal user who wrote it (im.message.add's token user, imopenlines.crm.message.add's USER_ID). */
  byUserId?: number | undefined;
  /** Who posted it: the operator's user id, the chat's connector user for the customer, 0 for the system. */
  authorId: number;
  /** The disk ids of its files, in order (`params.FILE_ID` in im.dialog.messages.get). */
  fileIds: number[];
}

export interface Fault {
  method: string;
  remaining: number;
  status: number;
  error: string;
  description: string;
}

export interface CallRecord {
  method: string;
  status: number;
  error?: string;
  at: number;
  params: unknown;
}

export interface DiskFile {
  name: string;
  contentType: string;
  data: Buffer;
  linkRequiresAuth: boolean;
}

/** An event handler's answer (§2.2); `body` only where the caller reports it. */
export interface HandlerResponse {
  handler: string;
  status: number;
}
