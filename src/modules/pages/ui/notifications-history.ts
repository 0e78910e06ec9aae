import { api } from './api.js';
import { codeText } from './codes.js';
import { clear, h, headRow } from './dom.js';
import { failedNotice, N, numberText, type NtfKey, type part } from './notifications-common.js';
import type { NtfDigest } from './notifications-types.js';
import { fmtDate } from './page.js';

/**
 * A group's digest history (GET …/digests, newest first): when, which report (a test digest marked
 * as such, a sample one without events said so), how many events, the digest's status, and each
 * recipient with its status and, when it failed, why in words. While a digest is still going out the
 * part reads the history again every few seconds, so the statuses move on their own; it stops when
 * nothing is sending or the page has moved on.
 */

type Part = ReturnType<typeof part>;
const REFRESH_MS = 2500;

/** Draws the history into `p`; returns its reload (after a test digest). */
export function historyPart(p: Part, groupId: number): () => Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = async (): Promise<void> => {
    clearTimeout(timer);
    let digests: NtfDigest[];
    try {
      digests = (await api.ntfDigests(groupId)).digests;
    } catch (e) {
      clear(p.body).appendChild(failedNotice(e));
      return;
    }
    if (!p.el.isConnected) return; // the page moved on while the history was read
    if (!digests.length) {
      clear(p.body).appendChild(h('p', { class: 'muted', id: 'ntf-history-empty', text: N('historyEmpty') }));
      return;
    }
    clear(p.body).appendChild(
      h(
        'table',
        { id: 'ntf-history-table' },
        headRow([N('colWhen'), N('colReport'), N('colEvents'), N('colDigestStatus'), N('colStatus')]),
        h('tbody', {}, digests.map(digestRow)),
      ),
    );
    if (digests.some((d) => d.status === 'sending')) {
      timer = setTimeout(() => {
        if (p.el.isConnected) void load();
      }, REFRESH_MS);
    }
  };
  return load;
}

function digestRow(d: NtfDigest): HTMLTableRowElement {
  const sample = d.kind === 'test' && d.events === 0;
  return h(
    'tr',
    { 'data-digest': d.id, 'data-kind': d.kind, 'data-status': d.status },
    h('td', { class: 'nowrap', text: fmtDate(d.createdAt, true) }),
    h(
      'td',
      {},
      d.reportName,
      d.kind === 'test' ? h('span', { class: 'badge ntf-test', text: N('digestTest') }) : null,
    ),
    h(
      'td',
      { class: 'ntf-events' },
      sample
        ? h('span', { class: 'muted', text: N('digestSample'), title: N('digestSampleLong') })
        : numberText(d.events),
    ),
    h('td', {}, h('span', { class: 'badge ' + d.status, text: N(('status_' + d.status) as NtfKey) })),
    h(
      'td',
      {},
      h(
        'ul',
        { class: 'hist' },
        d.recipients.map((x) =>
          h(
            'li',
            { 'data-recipient': x.recipientId, 'data-status': x.status },
            `${x.name} (${x.phoneMasked}) `,
            h('span', { class: 'badge ' + x.status, text: N(('status_' + x.status) as NtfKey) }),
            x.error
              ? h('span', { class: 'err ntf-error', 'data-code': x.error, text: ' ' + codeText(x.error) })
              : null,
          ),
        ),
      ),
    ),
  );
}
