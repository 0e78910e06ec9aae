import type { Adapters, Relay } from './composition-root.js';
import type { Config } from './config.js';
import { GupshupAppsClient } from './integrations/gupshup/gupshup.apps.js';
import { GupshupTemplatesClient } from './integrations/gupshup/templates.js';
import { ChannelAdminService } from './modules/channels/channel-admin.service.js';
import { NumberRequestsRepository } from './modules/channels/number-requests.repository.js';
import type { RolesService } from './modules/roles/roles.service.js';
import { TemplatesRepository } from './modules/templates/templates.repository.js';
import { TemplatesService } from './modules/templates/templates.service.js';
import { TokensRepository } from './modules/tokens/tokens.repository.js';
import { TokensService } from './modules/tokens/tokens.service.js';
import { writeTrace } from './modules/trace/trace.service.js';
import type { SecretBox } from './shared/crypto.js';
import type { Database } from './shared/db/database.js';

/**
 * The composition root's admin-side builders (composition-root.ts grew past 400 lines with the
 * campaigns and SMS): API tokens, the channels' admin side, and the templates service.
 */

/** API tokens and the channels' admin side (connect, settings, number requests). */
export function buildAdmin(config: Config, db: Database, box: SecretBox, a: Adapters, r: Relay) {
  const tokens = new TokensService(
    new TokensRepository(db),
    a.portalsRepo,
    box,
    a.bitrix,
    config.b24.appCode,
  );
  const channelAdmin = new ChannelAdminService({
    db,
    repo: r.channelsRepo,
    requests: new NumberRequestsRepository(db),
    box,
    channels: r.channels,
    gupshup: new GupshupAppsClient(a.http, config.gupshup.apiUrl),
    connector: a.connector,
  });
  return { tokens, channelAdmin };
}

/** WhatsApp templates: Gupshup's template API with the channels' keys, header files in media. */
export function buildTemplates(
  config: Config,
  db: Database,
  a: Adapters,
  r: Relay,
  roles: RolesService,
  nudge: () => void,
): TemplatesService {
  return new TemplatesService({
    repo: new TemplatesRepository(db),
    provider: new GupshupTemplatesClient(a.http, config.gupshup.apiUrl),
    channels: r.channels,
    media: {
      storeUpload: (portalId, file) => r.media.storeUpload(portalId, file),
      fileOf: (portalId, id) => r.media.fileOf(portalId, id),
      link: (id) => r.media.signer.url(id),
    },
    roles,
    trace: writeTrace,
    syncEveryMs: config.templates.syncEveryMs,
    nudge,
  });
}
