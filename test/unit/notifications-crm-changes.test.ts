import { describe, expect, it } from 'vitest';
import { dealChanges, leadEvents, watchedFields } from '../../src/modules/notifications/crm-changes.js';
import type { ActiveReport, Snapshot } from '../../src/modules/notifications/crm-events.repository.js';
import type { CrmDeal, CrmLead } from '../../src/modules/notifications/ports.js';

/**
 * The compare of a fresh CRM state with the last one seen (issue 13): which reports it makes an
 * event for, under which key, and what is remembered next. Table-driven, no database.
 */
const created = new Date('2026-11-30T10:00:00Z');
const report = (r: Partial<ActiveReport> & Pick<ActiveReport, 'id' | 'kind'>): ActiveReport => ({
  category_id: null,
  stage_id: null,
  field: null,
  source_id: null,
  created_at: created,
  ...r,
});
const won = report({ id: 1, kind: 'deal_stage', category_id: 1, stage_id: 'C1:WON' });
const general = report({ id: 2, kind: 'deal_stage', category_id: 0, stage_id: 'C0:WON' });
const plazo = report({ id: 3, kind: 'deal_field_changed', field: 'UF_CRM_PLAZO' });
const reports = [won, general, plazo];

const deal = (d: Partial<CrmDeal> = {}): CrmDeal => ({
  id: 901,
  title: 'SIRA',
  companyId: 7,
  categoryId: 1,
  stageId: 'C1:NEW',
  movedAt: '2026-11-30T13:30:00+03:00',
  createdAt: '2026-11-30T12:00:00+03:00',
  modifiedAt: '2026-11-30T14:00:00+03:00',
  fields: { UF_CRM_PLAZO: '2026-12-01' },
  ...d,
});
const snap = (s: Partial<Snapshot> = {}): Snapshot => ({
  category_id: 1,
  stage_id: 'C1:NEW',
  moved_at: new Date('2026-11-30T09:00:00Z'),
  fields: { UF_CRM_PLAZO: '2026-12-01' },
  modified_at: new Date('2026-11-30T09:30:00Z'),
  ...s,
});

const keysOf = (prev: Snapshot | undefined, d: CrmDeal) => {
  const o = dealChanges(prev, d, reports);
  return o.kind === 'stale' ? 'stale' : o.events.map((e) => `${e.report_id} ${e.dedupe_key}`);
};

describe('dealChanges', () => {
  const cases: Array<[string, Snapshot | undefined, CrmDeal, string | string[]]> = [
    ['first sight, not in a watched stage: nothing', undefined, deal(), []],
    [
      'first sight, entered the stage after the report existed: an event keyed by MOVED_TIME',
      undefined,
      deal({ stageId: 'C1:WON' }),
      ['1 deal:901:stage:1:C1:WON@2026-11-30T10:30:00.000Z'],
    ],
    [
      'first sight, in the stage since before the report: nothing',
      undefined,
      deal({ stageId: 'C1:WON', movedAt: '2026-11-29T09:00:00+00:00' }),
      [],
    ],
    [
      'first sight without MOVED_TIME: DATE_MODIFY stands for it',
      undefined,
      deal({ stageId: 'C1:WON', movedAt: null }),
      ['1 deal:901:stage:1:C1:WON@2026-11-30T11:00:00.000Z'],
    ],
    [
      'moved into the stage since the last sight',
      snap(),
      deal({ stageId: 'C1:WON' }),
      ['1 deal:901:stage:1:C1:WON@2026-11-30T10:30:00.000Z'],
    ],
    [
      'still in the stage, same MOVED_TIME: nothing',
      snap({ stage_id: 'C1:WON', moved_at: new Date('2026-11-30T10:30:00Z') }),
      deal({ stageId: 'C1:WON' }),
      [],
    ],
    [
      'left and came back between two sights (MOVED_TIME moved): a new event',
      snap({ stage_id: 'C1:WON', moved_at: new Date('2026-11-30T08:00:00Z') }),
      deal({ stageId: 'C1:WON' }),
      ['1 deal:901:stage:1:C1:WON@2026-11-30T10:30:00.000Z'],
    ],
    [
      'moved into the stage before the report existed, seen only now: nothing',
      snap(),
      deal({ stageId: 'C1:WON', movedAt: '2026-11-30T09:00:00+00:00' }),
      [],
    ],
    [
      'the same stage name in another pipeline: nothing',
      snap({ category_id: 2, stage_id: 'C2:NEW' }),
      deal({ categoryId: 2, stageId: 'C2:WON' }),
      [],
    ],
    [
      'the general pipeline names stages bare; the report wrote C0:WON',
      snap({ category_id: 0, stage_id: 'NEW' }),
      deal({ categoryId: 0, stageId: 'WON' }),
      ['2 deal:901:stage:0:WON@2026-11-30T10:30:00.000Z'],
    ],
    [
      'the watched field changed: keyed by its value and DATE_MODIFY',
      snap(),
      deal({ fields: { UF_CRM_PLAZO: '2026-12-15' } }),
      [expect.stringMatching(/^3 deal:901:field:UF_CRM_PLAZO=[0-9a-f]{16}@2026-11-30T11:00:00.000Z$/)],
    ],
    [
      'the watched field emptied is a change too',
      snap(),
      deal({ fields: { UF_CRM_PLAZO: '' } }),
      [expect.stringMatching(/^3 deal:901:field:UF_CRM_PLAZO=/)],
    ],
    [
      'a field never seen before (new report): only remembered',
      snap({ fields: {} }),
      deal({ fields: { UF_CRM_PLAZO: 'x' } }),
      [],
    ],
    [
      'a state older than the one stored: stale, nothing changes',
      snap({ modified_at: new Date('2026-11-30T12:00:00Z') }),
      deal({ stageId: 'C1:WON' }),
      'stale',
    ],
    [
      'stage and field at once: both reports',
      snap(),
      deal({ stageId: 'C1:WON', fields: { UF_CRM_PLAZO: 'y' } }),
      ['1 deal:901:stage:1:C1:WON@2026-11-30T10:30:00.000Z', expect.stringMatching(/^3 deal:901:field:/)],
    ],
  ];
  it.each(cases)('%s', (_name, prev, d, want) => {
    expect(keysOf(prev, d)).toEqual(want);
  });

  it('the same change read twice (event then list) has the same key', () => {
    const a = keysOf(snap(), deal({ stageId: 'C1:WON' }));
    const b = keysOf(snap(), deal({ stageId: 'C1:WON', modifiedAt: '2026-11-30T15:00:00+03:00' }));
    expect(a).toEqual(b);
  });

  it('remembers the new state, the fields merged, the newest modification; titles cut to 255', () => {
    const o = dealChanges(
      snap({ fields: { OTHER: 'kept' } }),
      deal({ stageId: 'C1:WON', title: '🚢'.repeat(300) }),
      reports,
    );
    if (o.kind === 'stale') throw new Error('not stale');
    expect(o.next).toEqual({
      category_id: 1,
      stage_id: 'C1:WON',
      moved_at: new Date('2026-11-30T10:30:00Z'),
      fields: { OTHER: 'kept', UF_CRM_PLAZO: '2026-12-01' },
      modified_at: new Date('2026-11-30T11:00:00Z'),
    });
    expect(Array.from(o.events[0]?.title ?? '')).toHaveLength(255);
    expect(o.events[0]).toMatchObject({ entity_type: 'deal', entity_id: 901, company_id: 7 });
  });
});

describe('leadEvents', () => {
  const web = report({ id: 5, kind: 'new_lead', source_id: 'WEB' });
  const lead = (l: Partial<CrmLead> = {}): CrmLead => ({
    id: 301,
    title: 'Lead',
    companyId: null,
    sourceId: 'WEB',
    createdAt: '2026-11-30T10:30:00+00:00',
    modifiedAt: '2026-11-30T10:30:00+00:00',
    ...l,
  });
  it.each([
    ['from the source, after the report', lead(), ['lead:301:new@2026-11-30T10:30:00.000Z']],
    ['another source', lead({ sourceId: 'CALL' }), []],
    ['created before the report existed', lead({ createdAt: '2026-11-29T10:00:00+00:00' }), []],
    [
      'within the clock slack of the report',
      lead({ createdAt: '2026-11-30T09:59:30+00:00' }),
      ['lead:301:new@2026-11-30T09:59:30.000Z'],
    ],
    [
      'modified later: same key',
      lead({ modifiedAt: '2026-12-01T00:00:00+00:00' }),
      ['lead:301:new@2026-11-30T10:30:00.000Z'],
    ],
  ])('%s', (_name, l, want) => {
    expect(leadEvents(l, [web, won]).map((e) => e.dedupe_key)).toEqual(want);
  });

  it('watchedFields: the fields of field reports, once', () => {
    expect(watchedFields([won, plazo, { ...plazo, id: 9 }])).toEqual(['UF_CRM_PLAZO']);
  });
});
