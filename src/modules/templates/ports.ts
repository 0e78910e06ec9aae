/**
 * What the templates module needs from elsewhere; the composition root hands in the real ones
 * (Gupshup's template adapter, the channels, media and roles services), tests hand in fakes.
 */
import type {
  GupshupAppKey,
  GupshupTemplate,
  TemplateSubmission,
} from '../../integrations/gupshup/templates.js';
import type { Lang } from '../../shared/i18n.js';
import type { TraceEntry } from '../trace/trace.service.js';
import type { ChannelRoleSet } from '../roles/roles.service.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import type { Executor } from './templates.repository.js';

export type { GupshupAppKey, GupshupTemplate, TemplateSubmission };

/** Gupshup's template management (integrations/gupshup/templates.ts); throws GupshupTemplateError. */
export interface TemplateProvider {
  create(app: GupshupAppKey, t: TemplateSubmission): Promise<{ id: string; status: string }>;
  list(app: GupshupAppKey): Promise<{ templates: GupshupTemplate[]; complete: boolean }>;
  delete(app: GupshupAppKey, elementName: string): Promise<'deleted' | 'gone'>;
}

/** A channel's Gupshup app and key (channels service `secrets`); undefined when the channel is gone. */
export interface TemplateChannels {
  secrets(channelId: string): Promise<{ appId: string | null; apiKey: string } | undefined>;
}

/** Files callers upload (the media module): stored behind the storage port, served by signed links. */
export interface TemplateMedia {
  storeUpload(portalId: number, file: { bytes: Buffer; name: string; mime: string }): Promise<string>;
  fileOf(portalId: number, id: string): Promise<{ id: string; mime: string; size: number } | undefined>;
  /** A public link Gupshup can fetch the file from (it expires). */
  link(id: string): string;
}

/** Who holds which role on which channel (roles module), and the portal's open lines. */
export interface TemplateRoles {
  channelRoles(p: ApiPrincipal): Promise<ChannelRoleSet[]>;
  lines(portalId: number): Promise<Array<{ id: number; name: string }>>;
}

/** The portal's language, for answers to callers that did not say theirs. */
export type PortalLanguage = (portalId: number) => Promise<Lang>;

/** Trace rows (trace module), written in the transaction of the change they describe. */
export type TraceWriter = (exec: Executor, ...entries: TraceEntry[]) => Promise<void>;
