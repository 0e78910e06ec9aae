import { api } from './api.js';
import { campaignsApi, type Campaign, type CrmListRequest } from './campaigns-api.js';
import { C } from './campaigns-common.js';
import { followCrm, showState } from './campaigns-list.js';
import { clear, field, h, select, type Option } from './dom.js';
import { part, say } from './notifications-common.js';
import type { CrmLists } from './types.js';

/**
 * A draft's list from a CRM filter: contacts, leads or deals, narrowed by the portal's own pipelines,
 * stages and users picked from lists (not typed as ids or codes), then read by a job page by page.
 * Contacts have no stage or pipeline; leads have stages but no pipeline.
 */
export function crmForm(
  p: ReturnType<typeof part>,
  c: Campaign,
  state: HTMLElement,
  preview: HTMLElement,
): HTMLElement {
  const entity = select(
    'entity',
    [
      ['contact', C('crmContact')],
      ['lead', C('crmLead')],
      ['deal', C('crmDeal')],
    ],
    'contact',
  );
  const any: Option = ['', C('crmAny')];
  const pipeline = select('categoryId', [any], '');
  const stage = select('stageId', [any], '');
  const assigned = select('assignedById', [any], '');
  const input = (name: string, width = 120) => h('input', { type: 'text', name, style: `width:${width}px` });
  const source = input('sourceId');
  const params = input('params', 260);
  let lists: CrmLists = { leadStages: [], pipelines: [] };
  const fill = (s: HTMLSelectElement, options: Option[]) => {
    const keep = s.value;
    s.replaceChildren(
      ...[any, ...options].map(([v, label]) => h('option', { value: String(v), text: label })),
    );
    s.value = options.some(([v]) => String(v) === keep) ? keep : '';
  };
  const stagesFor = (): Option[] => {
    if (entity.value === 'lead') return lists.leadStages.map((st) => [st.id, st.name]);
    if (entity.value !== 'deal') return [];
    const chosen = lists.pipelines.filter((pl) => !pipeline.value || String(pl.id) === pipeline.value);
    return chosen.flatMap((pl) =>
      pl.stages.map((st): Option => [st.id, chosen.length > 1 ? `${pl.name} · ${st.name}` : st.name]),
    );
  };
  const pipelineField = field(C('crmPipeline'), pipeline);
  const stageField = field(C('crmStage'), stage);
  const refresh = () => {
    pipelineField.hidden = entity.value !== 'deal';
    stageField.hidden = entity.value === 'contact';
    if (entity.value !== 'deal') pipeline.value = '';
    fill(stage, stagesFor());
  };
  entity.onchange = refresh;
  pipeline.onchange = refresh;
  void Promise.all([
    api.crmLists().catch(() => lists),
    api.users(0, '', '').catch(() => ({ items: [], next: null })),
  ]).then(([l, users]) => {
    lists = l;
    fill(
      pipeline,
      l.pipelines.map((pl) => [pl.id, pl.name]),
    );
    fill(
      assigned,
      users.items.map((u) => [u.id, u.name]),
    );
    refresh();
  });
  refresh();
  const load = h('button', { type: 'button', class: 'btn', id: 'cmp-crm-load', text: C('crmLoad') });
  load.onclick = async () => {
    clear(p.msg);
    const filter: CrmListRequest['filter'] = {};
    if (pipeline.value) filter.categoryId = Number(pipeline.value);
    if (stage.value) filter.stageId = stage.value;
    if (source.value.trim()) filter.sourceId = source.value.trim();
    if (assigned.value) filter.assignedById = Number(assigned.value);
    const body: CrmListRequest = {
      entity: entity.value as CrmListRequest['entity'],
      filter,
      params: params.value ? params.value.split('|').map((v) => v.trim()) : [],
    };
    load.disabled = true;
    try {
      const r = await campaignsApi.crmList(c.id, body);
      showState(state, r.list.status, r.list.info);
      clear(preview);
      await followCrm(c.id, state, preview);
    } catch (e) {
      say(p.msg, 'error', (e as Error).message);
    } finally {
      load.disabled = false;
    }
  };
  return h(
    'details',
    { id: 'cmp-crm' },
    h('summary', { text: C('crm') }),
    h(
      'div',
      { class: 'toolbar' },
      field(C('crmEntity'), entity),
      pipelineField,
      stageField,
      field(C('crmSource'), source),
      field(C('crmAssigned'), assigned),
    ),
    h('div', { class: 'toolbar' }, field(C('crmParams'), params), load),
  );
}
