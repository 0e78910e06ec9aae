import { ConflictError, FieldIssuesError, NotFoundError, ValidationError } from '../../shared/errors.js';
import type { NotificationsRepository, SettingsRow } from './notifications.repository.js';
import type {
  GroupPatch,
  OperatorListQuery,
  OperatorPatch,
  RecipientInput,
  RecipientPatch,
  SettingsPatch,
} from './notifications.schemas.js';
import { normalizeRecipientPhone, type PhoneResult } from './phone.js';
import { checkTimeZone } from './schedule.js';

export const TRIAL_DAYS = 15;
/** In the trial (seed 000): one number, one group, general reports (every company) only. */
const TRIAL_LIMITS = { recipients: 1, groups: 1 } as const;

const PHONE_WORDS: Record<Exclude<PhoneResult, { ok: true }>['code'], string> = {
  not_a_number: 'This is not a phone number',
  invalid: 'This number is not valid for its country; check the area code',
  not_mobile: 'WhatsApp needs a mobile number (in Argentina: 9 after +54)',
  country_not_allowed: 'Numbers from this country are not enabled for this portal; ask support',
};

/**
 * Groups, recipients and companies of the scheduled notifications, and the limits the seed sets:
 * 10 numbers and 3 groups per portal unless the operator raises them, a 15-day trial with one
 * number and general reports. Every change that a limit guards runs in one transaction holding the
 * portal's settings row, so two tabs adding the tenth number at once cannot both succeed.
 */
export class NotificationsService {
  private readonly clock: () => Date;
  constructor(
    private readonly repo: NotificationsRepository,
    o: {
      clock?: () => Date;
      /** The group's reports grid (reports.service.ts), shown with the group. */
      reportsOf?: (portalId: number, groupId: number) => Promise<unknown[]>;
    } = {},
  ) {
    this.clock = o.clock ?? (() => new Date());
    this.reportsOf = o.reportsOf ?? (() => Promise.resolve([]));
  }
  private readonly reportsOf: (portalId: number, groupId: number) => Promise<unknown[]>;

  /** Settings, limits, usage and the trial, as the pages' counters show them ("Destinatarios (2/10)"). */
  async overview(portalId: number) {
    const settings = await settingsOf(this.repo, portalId);
    return { ...this.describe(settings), usage: await this.repo.usage(portalId) };
  }

  async groups(portalId: number) {
    const overview = await this.overview(portalId);
    const groups = (await this.repo.groups(portalId)).map((g) => ({
      id: g.id,
      name: g.name,
      isDefault: g.is_default,
      recipients: Number(g.recipients),
      companies: g.all_companies ? ('all' as const) : Number(g.companies),
    }));
    return { ...overview, groups };
  }

  async group(portalId: number, id: number) {
    const overview = await this.overview(portalId);
    const g = await this.repo.group(portalId, id);
    if (!g) throw new NotFoundError('Group not found');
    const [recipients, companies, reports] = await Promise.all([
      this.repo.groupRecipients(portalId, id),
      this.repo.groupCompanies(id),
      this.reportsOf(portalId, id),
    ]);
    return {
      ...overview,
      group: {
        id: g.id,
        name: g.name,
        isDefault: g.is_default,
        allCompanies: g.all_companies,
        companies: companies.map((c) => ({ id: c.company_id, title: c.title })),
        recipients: recipients.map((r) => ({ ...recipient(r), enabled: Boolean(r.enabled) })),
        reports,
      },
    };
  }

  async createGroup(portalId: number, name: string) {
    const id = await this.repo.transaction(async (tx) => {
      const limits = this.describe(await settingsOf(tx, portalId, true)).limits;
      const { groups } = await tx.usage(portalId);
      if (groups >= limits.groups) throw limitReached('groups', groups, limits.groups);
      const created = await tx.createGroup(portalId, name);
      if (created === null) throw new ConflictError('A group with this name exists');
      return created;
    });
    return this.group(portalId, id);
  }

  async updateGroup(portalId: number, id: number, p: GroupPatch) {
    await this.repo.transaction(async (tx) => {
      const state = this.describe(await settingsOf(tx, portalId, true));
      if (!(await tx.group(portalId, id))) throw new NotFoundError('Group not found');
      const choosesCompanies = p.allCompanies === false || (p.companies?.length ?? 0) > 0;
      if (choosesCompanies && !state.fullService) {
        throw new ConflictError(
          'In the trial a group hears about every company; ask support for the full service',
        );
      }
      if (!(await tx.updateGroup(portalId, id, { name: p.name, all_companies: p.allCompanies }))) {
        throw new ConflictError('A group with this name exists');
      }
      if (p.companies) {
        const unique = new Map(p.companies.map((c) => [c.id, c.title]));
        await tx.replaceCompanies(
          id,
          [...unique].map(([company_id, title]) => ({ company_id, title })),
        );
      }
    });
    return this.group(portalId, id);
  }

  async deleteGroup(portalId: number, id: number) {
    if (await this.repo.deleteGroup(portalId, id)) return;
    const g = await this.repo.group(portalId, id);
    if (!g) throw new NotFoundError('Group not found');
    throw new ConflictError('The main group cannot be deleted');
  }

  /**
   * Adds a number to the portal and enables it in this group. A number the portal already has is
   * enabled here rather than added twice (it counts once against the limit).
   */
  async addRecipient(portalId: number, groupId: number, i: RecipientInput) {
    await this.repo.transaction(async (tx) => {
      const settings = await settingsOf(tx, portalId, true);
      if (!(await tx.group(portalId, groupId))) throw new NotFoundError('Group not found');
      const phone = this.phone(settings, i.phone);
      const existing = await tx.recipientByPhone(portalId, phone);
      let recipientId = existing?.id;
      if (!recipientId) {
        const limits = this.describe(settings).limits;
        const { recipients } = await tx.usage(portalId);
        if (recipients >= limits.recipients) throw limitReached('recipients', recipients, limits.recipients);
        recipientId = (
          await tx.createRecipient(portalId, {
            first_name: i.firstName,
            last_name: i.lastName,
            phone_e164: phone,
            reference: i.reference,
          })
        ).id;
      }
      await tx.setEnabled(portalId, groupId, [recipientId], true);
    });
    return this.group(portalId, groupId);
  }

  async updateRecipient(portalId: number, id: number, p: RecipientPatch) {
    const settings = await settingsOf(this.repo, portalId);
    const row = await this.repo.updateRecipient(portalId, id, {
      first_name: p.firstName,
      last_name: p.lastName,
      reference: p.reference,
      phone_e164: p.phone === undefined ? undefined : this.phone(settings, p.phone),
    });
    if (row === null) throw new ConflictError('Another recipient has this number');
    if (!row) throw new NotFoundError('Recipient not found');
    return recipient(row);
  }

  async deleteRecipient(portalId: number, id: number) {
    if (!(await this.repo.deleteRecipient(portalId, id))) throw new NotFoundError('Recipient not found');
  }

  /** One recipient (or, with `recipientId` null, every one: "Marcar/Desmarcar todos") in a group. */
  async setEnabled(portalId: number, groupId: number, recipientId: number | null, enabled: boolean) {
    if (!(await this.repo.group(portalId, groupId))) throw new NotFoundError('Group not found');
    if (recipientId !== null && !(await this.repo.recipient(portalId, recipientId))) {
      throw new NotFoundError('Recipient not found');
    }
    await this.repo.setEnabled(portalId, groupId, recipientId === null ? null : [recipientId], enabled);
    return this.group(portalId, groupId);
  }

  async updateSettings(portalId: number, p: SettingsPatch) {
    if (p.timeZone !== undefined && typeof checkTimeZone(p.timeZone) !== 'string') {
      throw new ValidationError('timeZone must be an IANA time zone, such as America/Argentina/Buenos_Aires');
    }
    await settingsOf(this.repo, portalId);
    await this.repo.updateSettings(portalId, {
      country: p.country,
      time_zone: p.timeZone,
      digest_interval_minutes: p.digestIntervalMinutes,
    });
    return this.overview(portalId);
  }

  /** The operator raises limits, enables countries, switches the full service on or off. */
  async operatorUpdate(portalId: number, p: OperatorPatch) {
    await settingsOf(this.repo, portalId);
    await this.repo.updateSettings(portalId, {
      max_recipients: p.maxRecipients,
      max_groups: p.maxGroups,
      full_service: p.fullService,
      allowed_calling_codes: p.allowedCallingCodes,
    });
    return this.overview(portalId);
  }

  /**
   * The operator's list of the portals that use notifications: each with its trial (and the whole
   * days left in it) or full service, numbers and groups used of those allowed now, the limits the
   * operator set (they apply once the full service is on) and the calling codes.
   */
  async operatorList(q: OperatorListQuery) {
    const rows = await this.repo.operatorPortals(q);
    const page = rows.slice(0, q.limit);
    const now = this.clock().getTime();
    return {
      items: page.map((r) => {
        const d = this.describe(r);
        const daysLeft = d.trial
          ? Math.max(0, Math.ceil((d.trial.endsAt.getTime() - now) / 86_400_000))
          : null;
        return {
          portalId: r.portal_id,
          domain: r.domain,
          installed: r.status === 'installed',
          fullService: d.fullService,
          trial: d.trial && { ...d.trial, daysLeft },
          active: d.active,
          limits: d.limits,
          maxRecipients: r.max_recipients,
          maxGroups: r.max_groups,
          usage: { recipients: Number(r.recipients), groups: Number(r.groups) },
          allowedCallingCodes: d.allowedCallingCodes,
        };
      }),
      nextCursor: rows.length > q.limit ? (page.at(-1)?.portal_id ?? null) : null,
    };
  }

  private describe(s: SettingsRow) {
    const trialEndsAt = new Date(s.trial_started_at.getTime() + TRIAL_DAYS * 86_400_000);
    const inTrial = !s.full_service;
    return {
      country: s.country,
      timeZone: s.time_zone,
      allowedCallingCodes: s.allowed_calling_codes,
      digestIntervalMinutes: s.digest_interval_minutes,
      fullService: s.full_service,
      trial: inTrial ? { endsAt: trialEndsAt, ended: this.clock() >= trialEndsAt } : null,
      /** Whether digests go out at all: full service, or a trial that has not ended. */
      active: serviceActive(s, this.clock()),
      limits: inTrial
        ? { recipients: Math.min(TRIAL_LIMITS.recipients, s.max_recipients), groups: TRIAL_LIMITS.groups }
        : { recipients: s.max_recipients, groups: s.max_groups },
    };
  }

  private phone(s: SettingsRow, text: string): string {
    const r = normalizeRecipientPhone(text, {
      defaultCountry: s.country,
      allowedCallingCodes: s.allowed_calling_codes,
    });
    if (r.ok) return r.e164;
    throw new FieldIssuesError('validation_error', [
      { field: 'phone', code: r.code, message: PHONE_WORDS[r.code] },
    ]);
  }
}

/** Whether a portal's digests go out at `now`: full service, or a trial that has not ended. */
export function serviceActive(s: { full_service: boolean; trial_started_at: Date }, now: Date): boolean {
  return s.full_service || now.getTime() < s.trial_started_at.getTime() + TRIAL_DAYS * 86_400_000;
}

async function settingsOf(
  repo: NotificationsRepository,
  portalId: number,
  forUpdate = false,
): Promise<SettingsRow> {
  const s = await repo.settings(portalId, forUpdate);
  if (!s) throw new NotFoundError('Portal not found');
  return s;
}

function recipient(r: {
  id: number;
  first_name: string;
  last_name: string;
  phone_e164: string;
  reference: string;
}) {
  return {
    id: r.id,
    firstName: r.first_name,
    lastName: r.last_name,
    phone: r.phone_e164,
    reference: r.reference,
  };
}

function limitReached(what: 'recipients' | 'groups', used: number, allowed: number) {
  return new FieldIssuesError('conflict', [
    {
      field: what,
      code: `${what}_limit`,
      message: `The portal has ${used} of ${allowed} ${what === 'recipients' ? 'numbers' : 'groups'}; ask support to raise the limit`,
    },
  ]);
}
