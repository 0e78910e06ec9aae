import { campaignsApi, type Campaign, type CampaignPreview } from './campaigns-api.js';
import { crmForm } from './campaigns-crm.js';
import { C, codeText, downloadCsv } from './campaigns-common.js';
import { append, clear, h, headRow } from './dom.js';
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

export function showState(el: HTMLElement, status: string, info: object): void {
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

export function showPreview(el: HTMLElement, id: number, p: CampaignPreview): void {
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

/** Polls a CRM list until the job has read it, then shows its preview. */
export async function followCrm(id: number, state: HTMLElement, preview: HTMLElement): Promise<void> {
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
