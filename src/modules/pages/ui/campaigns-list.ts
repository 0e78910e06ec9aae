import { campaignsApi, type Campaign, type CampaignPreview, type CrmListRequest } from './campaigns-api.js';
import { C, codeText, downloadCsv } from './campaigns-common.js';
import { append, clear, field, h, headRow, select } from './dom.js';
import { part, say } from './notifications-common.js';

/**
 * A draft's list (issue 14): upload a CSV (sent as it is; the server reads it as it arrives) or load
 * it from a CRM filter; then the first rows as the customer will read them and the rejected rows with
 * their reason in words, and the download of every rejected row.
 */
export async function listPart(p: ReturnType<typeof part>, c: Campaign): Promise<void> {
  const state = h('p', { id: 'cmp-list-state' });
  const file = h('input', { type: 'file', name: 'file', id: 'cmp-file', accept: '.csv,.txt,text/csv' });
  const upload = h('button', { type: 'button', class: 'btn primary', id: 'cmp-upload', text: C('upload') });
  const preview = h('div', { id: 'cmp-preview' });
  clear(p.body).append(
    h('p', { class: 'muted', text: C('listHelp') }),
    h('div', { class: 'toolbar' }, file, upload),
    crmForm(p, c, state, preview),
    state,
    preview,
  );
  showState(state, c.list.status, c.list.info);
  upload.onclick = async () => {
    clear(p.msg);
    const f = file.files?.[0];
    if (!f) return;
    upload.disabled = true;
    say(p.msg, 'info', C('uploading'));
    try {
      const r = await campaignsApi.upload(c.id, f);
      clear(p.msg);
      showState(state, r.list.status, r.list.info);
      showPreview(preview, c.id, r);
    } catch (e) {
      say(p.msg, 'error', (e as Error).message);
    } finally {
      upload.disabled = false;
    }
  };
  if (c.list.status === 'ready') showPreview(preview, c.id, await campaignsApi.preview(c.id));
  if (c.list.status === 'loading') void followCrm(c.id, state, preview);
}

function showState(el: HTMLElement, status: string, info: object): void {
  const error = (info as { error?: unknown }).error;
  el.textContent =
    status === 'loading'
      ? C('listLoading')
      : status === 'failed'
        ? C('listFailed', { error: typeof error === 'string' ? error : '' })
        : status === 'empty'
          ? C('listEmpty')
          : '';
  el.className = status === 'failed' ? 'error' : 'muted';
}

function showPreview(el: HTMLElement, id: number, p: CampaignPreview): void {
  const rows = h('tbody');
  for (const r of p.rows) {
    rows.appendChild(
      h(
        'tr',
        { 'data-line': r.line },
        h('td', { text: r.line }),
        h('td', { text: r.phone ?? '' }),
        h('td', { text: r.name }),
        h('td', {}, h('div', { class: 'cmp-bubble', style: 'white-space:pre-wrap', text: r.text })),
      ),
    );
  }
  const rejected = h('tbody');
  for (const r of p.rejected) {
    rejected.appendChild(
      h(
        'tr',
        { 'data-line': r.line, 'data-code': r.code ?? '' },
        h('td', { text: r.line }),
        h('td', { text: r.rawPhone }),
        h('td', {}, h('strong', { text: codeText('rc', r.code) ?? r.code ?? '' }), ' — ', r.message),
      ),
    );
  }
  const download = h('button', {
    type: 'button',
    class: 'btn',
    id: 'cmp-rejected-csv',
    text: C('downloadRejected'),
  });
  download.onclick = () => void downloadCsv(`/campaigns/${id}/rejected.csv`);
  clear(el);
  append(el, [
    h('p', { id: 'cmp-counts', text: C('listCounts', p.counts) }),
    h('h2', { text: C('preview') }),
    h(
      'table',
      { class: 'grid', id: 'cmp-preview-table' },
      headRow([C('line'), C('phone'), C('name'), C('message')]),
      rows,
    ),
    p.rejected.length ? h('h2', { text: C('rejected') }) : null,
    p.rejected.length
      ? h(
          'table',
          { class: 'grid', id: 'cmp-rejected-table' },
          headRow([C('line'), C('phone'), C('reason')]),
          rejected,
        )
      : null,
    p.counts.rejected ? h('div', { class: 'toolbar' }, download) : null,
  ]);
}

function crmForm(
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
  const input = (name: string, width = 120) => h('input', { type: 'text', name, style: `width:${width}px` });
  const pipeline = input('categoryId', 80);
  const stage = input('stageId');
  const source = input('sourceId');
  const assigned = input('assignedById', 80);
  const params = input('params', 260);
  const load = h('button', { type: 'button', class: 'btn', id: 'cmp-crm-load', text: C('crmLoad') });
  load.onclick = async () => {
    clear(p.msg);
    const num = (v: string) => (v.trim() && Number.isInteger(Number(v)) ? Number(v) : undefined);
    const filter: CrmListRequest['filter'] = {};
    const cat = num(pipeline.value);
    const who = num(assigned.value);
    if (cat !== undefined) filter.categoryId = cat;
    if (stage.value.trim()) filter.stageId = stage.value.trim();
    if (source.value.trim()) filter.sourceId = source.value.trim();
    if (who !== undefined) filter.assignedById = who;
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
      field(C('crmPipeline'), pipeline),
      field(C('crmStage'), stage),
      field(C('crmSource'), source),
      field(C('crmAssigned'), assigned),
    ),
    h('div', { class: 'toolbar' }, field(C('crmParams'), params), load),
  );
}

/** Polls a CRM list until the job has read it, then shows its preview. */
async function followCrm(id: number, state: HTMLElement, preview: HTMLElement): Promise<void> {
  for (let i = 0; i < 600 && state.isConnected; i += 1) {
    const c = await campaignsApi.get(id);
    showState(state, c.list.status, c.list.info);
    if (c.list.status === 'ready') {
      showPreview(preview, id, await campaignsApi.preview(id));
      return;
    }
    if (c.list.status !== 'loading') return;
    await new Promise((r) => setTimeout(r, 1500));
  }
}
