import { createHash } from 'node:crypto';
import type { ActiveReport, NewEvent, Snapshot } from './crm-events.repository.js';
import type { CrmDeal, CrmLead } from './ports.js';

/**
 * What a CRM record's fresh state means for the portal's reports, against the last state seen (pure:
 * the service locks the snapshot, calls these and stores the result in one transaction).
 *
 * - `deal_stage`: the deal is in the report's stage of its pipeline and was not at the last sight,
 *   or it left and came back since (its MOVED_TIME moved), and it entered the stage after the report
 *   existed (MOVED_TIME, else DATE_MODIFY): a first sight of a deal long in the stage is no event.
 * - `deal_field_changed`: the watched field's value differs from the last sight's; the first sight of
 *   a deal (or of a field a new report watches) only stores the value.
 * - `new_lead`: the lead's SOURCE_ID is the report's, created after the report existed.
 *
 * A dedupe key names the change itself, from the CRM's own data, so whoever sees it (the event's
 * read-back or the reconciliation's list) writes the same key: the stage and the time it was entered,
 * the field's value and the modification that set it, the lead's creation.
 */

/** The CRM's clock and ours differ, and the CRM writes whole seconds: a report "exists" this early. */
export const CLOCK_SLACK_MS = 60_000;
const TITLE_MAX = 255;

type EventOf = Omit<NewEvent, 'portal_id'>;

const utc = (raw: string) => new Date(raw).toISOString();
const title = (t: string) => Array.from(t).slice(0, TITLE_MAX).join('');
const digest = (v: string) => createHash('sha256').update(v).digest('hex').slice(0, 16);
const after = (when: Date, report: ActiveReport) =>
  when.getTime() >= report.created_at.getTime() - CLOCK_SLACK_MS;

/** Bitrix24 names the general pipeline's stages bare (`WON`); `C0:WON` is taken for it too. */
function inStage(r: ActiveReport, d: CrmDeal): boolean {
  if (r.category_id !== null && r.category_id !== d.categoryId) return false;
  return r.stage_id === d.stageId || (d.categoryId === 0 && r.stage_id === `C0:${d.stageId}`);
}

export type DealOutcome = { kind: 'stale' } | { kind: 'changed'; events: EventOf[]; next: Snapshot };

export function dealChanges(prev: Snapshot | undefined, d: CrmDeal, reports: ActiveReport[]): DealOutcome {
  const modified = new Date(d.modifiedAt);
  // A list page read before an event's read-back: the stored state is newer.
  if (prev && modified.getTime() < prev.modified_at.getTime()) return { kind: 'stale' };
  const moved = d.movedAt ? new Date(d.movedAt) : null;
  const base = {
    entity_type: 'deal' as const,
    entity_id: d.id,
    company_id: d.companyId,
    title: title(d.title),
  };
  const events: EventOf[] = [];
  const fields: Record<string, string> = { ...(prev?.fields ?? {}) };
  for (const r of reports) {
    if (r.kind === 'deal_stage' && inStage(r, d)) {
      const entered = moved ?? modified;
      const changed =
        !prev ||
        prev.stage_id !== d.stageId ||
        prev.category_id !== d.categoryId ||
        (moved !== null && prev.moved_at !== null && moved.getTime() !== prev.moved_at.getTime());
      // Entered before the report existed (first sight, or a snapshot kept from before): not its event.
      if (changed && after(entered, r)) {
        events.push({
          ...base,
          report_id: r.id,
          dedupe_key: `deal:${d.id}:stage:${d.categoryId}:${d.stageId}@${entered.toISOString()}`,
          occurred_at: entered,
        });
      }
    }
    if (r.kind === 'deal_field_changed' && r.field) {
      const value = d.fields[r.field] ?? '';
      const before = prev?.fields[r.field];
      if (before !== undefined && before !== value) {
        events.push({
          ...base,
          report_id: r.id,
          dedupe_key: `deal:${d.id}:field:${r.field}=${digest(value)}@${utc(d.modifiedAt)}`,
          occurred_at: modified,
        });
      }
      fields[r.field] = value;
    }
  }
  return {
    kind: 'changed',
    events,
    next: {
      category_id: d.categoryId,
      stage_id: d.stageId,
      moved_at: moved,
      fields,
      modified_at: prev && prev.modified_at > modified ? prev.modified_at : modified,
    },
  };
}

export function leadEvents(l: CrmLead, reports: ActiveReport[]): EventOf[] {
  const created = new Date(l.createdAt);
  return reports
    .filter((r) => r.kind === 'new_lead' && r.source_id === l.sourceId && after(created, r))
    .map((r) => ({
      entity_type: 'lead' as const,
      entity_id: l.id,
      company_id: l.companyId,
      title: title(l.title),
      report_id: r.id,
      dedupe_key: `lead:${l.id}:new@${created.toISOString()}`,
      occurred_at: created,
    }));
}

/** The fields the portal's reports watch on deals (asked for in every read). */
export function watchedFields(reports: ActiveReport[]): string[] {
  return [...new Set(reports.flatMap((r) => (r.kind === 'deal_field_changed' && r.field ? [r.field] : [])))];
}
