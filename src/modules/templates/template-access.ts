import { ForbiddenError } from '../../shared/errors.js';
import type { ChannelRoleSet } from '../roles/roles.service.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import type { TemplateRoles } from './ports.js';

/** The channels a caller may act on: every one of the portal, or these. */
export type ChannelScope = 'all' | ReadonlySet<string>;

const WHAT = {
  read: (r: ChannelRoleSet) => r.qualityControl || r.salesRep || r.boss,
  use: (r: ChannelRoleSet) => r.salesRep || r.boss,
  manage: (r: ChannelRoleSet) => r.boss,
} as const;
export type TemplateAction = keyof typeof WHAT;

/**
 * Who may do what with a channel's templates (C7: the roles decide who uses templates). Portal admins
 * and bearer tokens (made by admins) may do everything. Otherwise, per channel:
 * - read (list, view): any role on the channel (quality control, sales representative, boss);
 * - use (upload a header file, send — the send helper's rule): sales representative or boss;
 * - manage (create, rename, switch on/off, assign lines, delete, sync): boss.
 */
export class TemplateAccess {
  constructor(private readonly roles: Pick<TemplateRoles, 'channelRoles'>) {}

  async scope(p: ApiPrincipal, action: TemplateAction): Promise<ChannelScope> {
    if (p.admin) return 'all';
    const roles = await this.roles.channelRoles(p);
    return new Set(roles.filter(WHAT[action]).map((r) => r.channelId));
  }

  static includes(scope: ChannelScope, channelId: string): boolean {
    return scope === 'all' || scope.has(channelId);
  }

  /** 403 unless the caller may do `action` on this channel. */
  async require(p: ApiPrincipal, action: TemplateAction, channelId: string): Promise<void> {
    if (!TemplateAccess.includes(await this.scope(p, action), channelId)) throw forbidden();
  }

  /** 403 unless the caller may do `action` on at least one channel (checked before the input). */
  async requireAny(p: ApiPrincipal, action: TemplateAction): Promise<void> {
    const scope = await this.scope(p, action);
    if (scope !== 'all' && scope.size === 0) throw forbidden();
  }
}

function forbidden(): ForbiddenError {
  return new ForbiddenError('Your chat role does not allow this on this channel’s templates');
}
