import { FieldIssuesError, NotFoundError, type FieldIssue } from '../../shared/errors.js';
import type { NotificationsRepository } from './notifications.repository.js';
import type { GroupReportInput, ReportInput } from './notifications.schemas.js';
import type { NotificationTemplates } from './ports.js';
import type { ReportsRepository, ReportValues } from './reports.repository.js';
import { formatClock, formatWeekdays, PRESETS, scheduleFromInput, type Weekday } from './schedule.js';

type ReportRow = Awaited<ReturnType<ReportsRepository['reports']>>[number];
type GroupReportRow = Awaited<ReturnType<ReportsRepository['groupReports']>>[number];

const SCHEDULE_WORDS = {
  bad_weekday: 'Unknown weekday; use LU,MA,MI,JU,VI,SA,DO',
  no_weekdays: 'Choose at least one weekday',
  bad_time: 'Write the time as HH:MM, from 00:00 to 24:00',
  empty_window: 'The window must not start and end at the same time',
  bad_time_zone: 'Unknown time zone',
} as const;

/**
 * Reports (a CRM condition and the approved template that tells it) and, per group, whether the
 * group receives each one and in which hours. A report's template is checked when it is chosen:
 * the portal's own, approved, with exactly as many parameters as the report fills.
 */
export class ReportsService {
  constructor(
    private readonly repo: ReportsRepository,
    private readonly groups: Pick<NotificationsRepository, 'group'>,
    private readonly templates: NotificationTemplates,
  ) {}

  async list(portalId: number) {
    return {
      reports: await Promise.all((await this.repo.reports(portalId)).map((r) => this.view(portalId, r))),
    };
  }

  async create(portalId: number, i: ReportInput) {
    const values = await this.values(portalId, i);
    const id = await this.repo.create(portalId, values);
    if (id === null) throw nameTaken();
    return this.one(portalId, id);
  }

  async replace(portalId: number, id: number, i: ReportInput) {
    if (!(await this.repo.report(portalId, id))) throw new NotFoundError('Report not found');
    const done = await this.repo.replace(portalId, id, await this.values(portalId, i));
    if (done === null) throw nameTaken();
    if (!done) throw new NotFoundError('Report not found');
    return this.one(portalId, id);
  }

  async delete(portalId: number, id: number) {
    if (!(await this.repo.delete(portalId, id))) throw new NotFoundError('Report not found');
  }

  /** The seed's reports grid of a group: every report, enabled or not, with its weekdays and hours. */
  async ofGroup(portalId: number, groupId: number) {
    return (await this.repo.groupReports(portalId, groupId)).map(groupReport);
  }

  async setForGroup(portalId: number, groupId: number, reportId: number, i: GroupReportInput) {
    if (!(await this.groups.group(portalId, groupId))) throw new NotFoundError('Group not found');
    if (!(await this.repo.report(portalId, reportId))) throw new NotFoundError('Report not found');
    const s = scheduleFromInput(i.schedule);
    if ('code' in s) {
      const field =
        s.code === 'bad_time' ? 'schedule.time' : s.code === 'empty_window' ? 'schedule.to' : 'schedule.days';
      throw new FieldIssuesError('validation_error', [
        { field, code: s.code, message: SCHEDULE_WORDS[s.code] },
      ]);
    }
    await this.repo.setGroupReport(groupId, reportId, {
      enabled: i.enabled,
      preset: i.schedule.preset,
      days: [...s.days],
      from_minute: s.from,
      to_minute: s.to,
      holidays: s.holidays,
    });
    return { reports: await this.ofGroup(portalId, groupId) };
  }

  private async one(portalId: number, id: number) {
    const row = await this.repo.report(portalId, id);
    if (!row) throw new NotFoundError('Report not found');
    return this.view(portalId, row);
  }

  private async view(portalId: number, r: ReportRow) {
    const t = r.template_id ? await this.templates.find(portalId, r.template_id) : undefined;
    return {
      id: r.id,
      name: r.name,
      kind: r.kind,
      categoryId: r.category_id,
      stageId: r.stage_id,
      field: r.field,
      sourceId: r.source_id,
      templateId: r.template_id,
      template: t ? { name: t.display_name, status: t.status } : null,
      params: r.params,
    };
  }

  private async values(portalId: number, i: ReportInput): Promise<ReportValues> {
    const issues: FieldIssue[] = [];
    if (i.templateId) {
      const t = await this.templates.find(portalId, i.templateId);
      if (!t) {
        issues.push({
          field: 'templateId',
          code: 'template_not_found',
          message: 'No such template in this portal',
        });
      } else {
        if (t.status !== 'approved') {
          issues.push({
            field: 'templateId',
            code: 'template_not_approved',
            message: 'Only an approved template can be sent outside the 24-hour window',
          });
        }
        const expected = Array.isArray(t.params) ? t.params.length : 0;
        if (expected !== i.params.length) {
          issues.push({
            field: 'params',
            code: 'params_count',
            message: `The template has ${expected} parameters; the report fills ${i.params.length}`,
          });
        }
      }
    }
    if (issues.length) throw new FieldIssuesError('validation_error', issues);
    return {
      name: i.name,
      kind: i.kind,
      category_id: i.kind === 'deal_stage' ? i.categoryId : null,
      stage_id: i.kind === 'deal_stage' ? i.stageId : null,
      field: i.kind === 'deal_field_changed' ? i.field : null,
      source_id: i.kind === 'new_lead' ? i.sourceId : null,
      template_id: i.templateId,
      params: i.params,
    };
  }
}

function groupReport(r: GroupReportRow) {
  const fallback = PRESETS.working;
  const days = (r.days ?? fallback.days) as Weekday[];
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    enabled: r.enabled ?? false,
    schedule: {
      preset: r.preset ?? 'working',
      days: formatWeekdays(days),
      from: formatClock(r.from_minute ?? fallback.from),
      to: formatClock(r.to_minute ?? fallback.to),
      holidays: r.holidays ?? fallback.holidays,
    },
  };
}

function nameTaken() {
  return new FieldIssuesError('conflict', [
    { field: 'name', code: 'name_taken', message: 'A report with this name exists' },
  ]);
}
