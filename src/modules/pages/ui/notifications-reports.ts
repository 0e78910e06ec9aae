import { api } from './api.js';
import { dialog } from './dialog.js';
import { clear, field, h, headRow, select, type Option } from './dom.js';
import {
  failedNotice,
  N,
  refusalText,
  rowActions,
  showFieldIssues,
  type NtfKey,
  type part,
} from './notifications-common.js';
import type { NtfOverview, NtfParam, NtfReport, NtfReportKind } from './notifications-types.js';
import type { TemplateView } from './template-types.js';
import type { CrmLists } from './types.js';

/**
 * The portal's reports: a CRM condition (a deal reached a stage, a deal's date field changed, a new
 * lead from a source), the approved template that tells it, and what fills each of the template's
 * parameters. Pipelines and stages are offered from the CRM when the viewer may read them (portal
 * admins); otherwise they are typed.
 */

type Part = ReturnType<typeof part>;
const KINDS: NtfReportKind[] = ['deal_stage', 'deal_field_changed', 'new_lead'];
const PARAMS: NtfParam[] = ['count', 'titles', 'company', 'link', 'group'];

export async function reportsPart(p: Part, o: NtfOverview): Promise<void> {
  let reports: NtfReport[];
  let crm: CrmLists | null;
  try {
    [reports, crm] = await Promise.all([
      api.ntfReports().then((r) => r.reports),
      // Pipelines and stages by name: portal admins may read them; others see the ids.
      api.crmLists().catch((): CrmLists | null => null),
    ]);
  } catch (e) {
    clear(p.body).appendChild(failedNotice(e));
    return;
  }
  const reload = () => void reportsPart(p, o);
  const add = h('button', {
    type: 'button',
    class: 'btn primary',
    id: 'ntf-new-report',
    text: N('newReport'),
  });
  add.onclick = () => void reportDialog(o, crm, null, reload);
  const condition = (r: NtfReport) =>
    N(('kind_' + r.kind) as NtfKey) +
    ': ' +
    (r.kind === 'deal_stage'
      ? stageName(crm, r.categoryId, r.stageId)
      : r.kind === 'new_lead'
        ? `${r.sourceId ?? ''}`
        : `${r.field ?? ''}`);
  const row = (r: NtfReport) => {
    return h(
      'tr',
      { 'data-report': r.id },
      h('td', { text: r.name }),
      h('td', { text: condition(r) }),
      h('td', { text: r.template ? r.template.name : N('noTemplate') }),
      rowActions(r.id, () => void reportDialog(o, crm, r, reload), {
        title: N('deleteReport'),
        text: N('deleteReportText', { name: r.name }),
        action: async () => {
          await api.ntfDeleteReport(r.id);
          reload();
        },
      }),
    );
  };
  clear(p.body).append(
    h('p', { class: 'muted', text: N('portalReportsHelp') }),
    h('div', { class: 'toolbar' }, add),
    reports.length
      ? h(
          'table',
          { id: 'ntf-reports-table' },
          headRow([N('reportName'), N('kind'), N('template'), '']),
          h('tbody', {}, reports.map(row)),
        )
      : h('p', { class: 'muted', text: N('noReports') }),
  );
}

/** "Pipeline: Stage" when the CRM's lists could be read, else the stage's id. */
function stageName(crm: CrmLists | null, categoryId: number | null, stageId: string | null): string {
  const pipeline = crm?.pipelines.find((x) => x.id === (categoryId ?? 0));
  const stage = pipeline?.stages.find((x) => x.id === stageId);
  return pipeline && stage ? `${pipeline.name}: ${stage.name}` : (stageId ?? '');
}

async function reportDialog(
  o: NtfOverview,
  crm: CrmLists | null,
  r: NtfReport | null,
  done: () => void,
): Promise<void> {
  const templates = await api
    .approvedTemplates()
    .then((t) => t.templates.filter((x) => x.status === 'approved'))
    .catch((): TemplateView[] => []);
  const name = h('input', {
    type: 'text',
    name: 'name',
    value: r?.name ?? '',
    maxlength: 80,
    required: true,
  });
  const kind = select(
    'kind',
    KINDS.map((k): Option => [k, N(('kind_' + k) as NtfKey)]),
    r?.kind ?? 'deal_stage',
  );
  const condition = h('div', { class: 'fields', style: 'margin:0' });
  const template = select(
    'templateId',
    [['', N('templateLater')], ...templates.map((t): Option => [t.id, `${t.displayName} (${t.language})`])],
    r?.templateId ?? '',
  );
  const params = h('div', { class: 'fields', id: 'ntf-report-params', style: 'margin:0' });
  const drawCondition = () =>
    clear(condition).append(...conditionFields(kind.value as NtfReportKind, r, crm));
  const drawParams = () => {
    const t = templates.find((x) => x.id === template.value);
    clear(params);
    (t?.params ?? []).forEach((_, i) =>
      params.appendChild(
        field(
          N('paramN', { p: `{{${i + 1}}}` }),
          select(
            'param',
            PARAMS.map((x): Option => [x, N(('param_' + x) as NtfKey)]),
            r?.params[i] ?? PARAMS[i] ?? 'count',
          ),
        ),
      ),
    );
  };
  kind.onchange = drawCondition;
  template.onchange = drawParams;
  dialog({
    title: r ? N('editReport') : N('newReport'),
    build: (b) => {
      b.appendChild(
        h(
          'div',
          { class: 'fields' },
          field(N('reportName'), name, true),
          field(N('kind'), kind, true),
          h('div', { class: 'wide' }, condition),
          field(N('template'), template, true),
          templates.length ? null : h('p', { class: 'muted wide', text: N('noTemplates') }),
          h('div', { class: 'wide' }, params),
        ),
      );
      drawCondition();
      drawParams();
    },
    onOk: async (form) => {
      const body = reportBody(form, kind.value as NtfReportKind);
      try {
        if (r) await api.ntfReplaceReport(r.id, body);
        else await api.ntfCreateReport(body);
      } catch (e) {
        if (showFieldIssues(form, e, o)) return true;
        throw new Error(refusalText(e, o));
      }
      done();
      return false;
    },
  });
}

function conditionFields(kind: NtfReportKind, r: NtfReport | null, crm: CrmLists | null): HTMLElement[] {
  const text = (nm: string, value: string, label: string, placeholder: string) =>
    field(
      label,
      h('input', { type: 'text', name: nm, value, placeholder, required: true, maxlength: 100 }),
      true,
    );
  if (kind === 'deal_field_changed') return [text('field', r?.field ?? 'CLOSEDATE', N('field'), 'CLOSEDATE')];
  if (kind === 'new_lead') return [text('sourceId', r?.sourceId ?? '', N('source'), 'WEB')];
  if (!crm?.pipelines.length) {
    return [
      field(
        N('pipeline'),
        h('input', { type: 'number', name: 'categoryId', min: 0, value: r?.categoryId ?? 0 }),
      ),
      text('stageId', r?.stageId ?? '', N('stage'), 'WON'),
    ];
  }
  const pipeline = select(
    'categoryId',
    crm.pipelines.map((x): Option => [x.id, x.name]),
    r?.categoryId ?? crm.pipelines[0]?.id,
  );
  const stageBox = h('span');
  const drawStages = () => {
    const stages = crm.pipelines.find((x) => String(x.id) === pipeline.value)?.stages ?? [];
    clear(stageBox).appendChild(
      select(
        'stageId',
        stages.map((s): Option => [s.id, s.name]),
        r?.stageId,
      ),
    );
  };
  pipeline.onchange = drawStages;
  drawStages();
  return [field(N('pipeline'), pipeline), field(N('stage'), stageBox)];
}

function reportBody(form: HTMLFormElement, kind: NtfReportKind): Record<string, unknown> {
  const value = (n: string) =>
    form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${n}"]`)?.value ?? '';
  const params = [...form.querySelectorAll<HTMLSelectElement>('select[name=param]')].map((s) => s.value);
  const common = { name: value('name'), templateId: value('templateId') || null, params };
  if (kind === 'deal_stage') {
    return { kind, categoryId: Number(value('categoryId') || 0), stageId: value('stageId'), ...common };
  }
  if (kind === 'deal_field_changed') return { kind, field: value('field').trim().toUpperCase(), ...common };
  return { kind, sourceId: value('sourceId').trim(), ...common };
}
