import { api } from './api.js';
import { clear, field, h, select, type Option } from './dom.js';
import { T } from './page.js';
import type { CrmLists, CrmSetting, Roles } from './types.js';

/**
 * The Roles tab's CRM box: for the chosen channel, whether a new customer becomes a lead or a deal,
 * and in which pipeline and stage. Empty when the CRM lists could not be read.
 */
export function crmBox(data: Roles, lists: CrmLists | null, channelId: () => string) {
  const box = h('div', { class: 'card', style: 'padding:14px 0 0;margin:0' });
  const render = () => {
    clear(box);
    if (lists) fill(box, data, lists, channelId());
  };
  return { box, render };
}

function fill(box: HTMLDivElement, data: Roles, lists: CrmLists, channelId: string): void {
  const cur = data.crm.find((c) => c.channelId === channelId) ?? {
    entity: 'lead',
    categoryId: null,
    stageId: null,
  };
  const entities: Option[] = [
    ['lead', T('roles.lead')],
    ['deal', T('roles.deal')],
  ];
  const ent = select('entity', entities, cur.entity);
  const pipelines = lists.pipelines.map((p): Option => [p.id, p.name]);
  const pipe = select('categoryId', pipelines, cur.categoryId === null ? 0 : cur.categoryId);
  const stage = h('select', { name: 'stageId' });
  const out = h('span');
  const fillStages = () => {
    clear(stage);
    const list =
      ent.value === 'lead'
        ? lists.leadStages
        : (lists.pipelines.find((p) => String(p.id) === pipe.value)?.stages ?? []);
    for (const s of list) {
      stage.appendChild(h('option', { value: s.id, text: s.name, selected: s.id === cur.stageId }));
    }
    pipe.disabled = ent.value === 'lead';
  };
  ent.onchange = fillStages;
  pipe.onchange = fillStages;
  fillStages();
  const save = h('button', { type: 'button', class: 'btn', id: 'crm-save', text: T('common.save') });
  save.onclick = () => {
    const body: Omit<CrmSetting, 'channelId'> = {
      entity: ent.value === 'deal' ? 'deal' : 'lead',
      categoryId: ent.value === 'deal' ? Number(pipe.value) : null,
      stageId: stage.value || null,
    };
    api
      .setCrm(channelId, body)
      .then((r) => {
        data.crm = data.crm.filter((c) => c.channelId !== r.channelId).concat([r]);
        clear(out).appendChild(h('span', { class: 'ok', text: T('common.saved') }));
      })
      .catch((e: Error) => clear(out).appendChild(h('span', { class: 'err', text: e.message })));
  };
  box.appendChild(h('h2', { text: T('roles.crm') }));
  const controls = [
    field(T('roles.entity'), ent),
    field(T('roles.pipeline'), pipe),
    field(T('roles.stage'), stage),
  ];
  box.appendChild(h('div', { class: 'toolbar' }, controls, save, out));
}
