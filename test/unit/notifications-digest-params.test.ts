import { describe, expect, it } from 'vitest';
import { digestParams, type DigestEvent } from '../../src/modules/notifications/digest-params.js';

/** What a digest's template parameters say, from its events (issue 13). */
const ctx = { domain: 'acme.bitrix24.com', groupName: 'Cliente  ACME', companies: new Map([[7, 'ACME SA']]) };
const deal = (id: number, title: string, company: number | null = null): DigestEvent => ({
  entity_type: 'deal',
  entity_id: id,
  company_id: company,
  title,
});

describe('digest parameters', () => {
  it('count, titles, company, link and group for one event', () => {
    expect(
      digestParams(['count', 'titles', 'company', 'link', 'group'], [deal(5, 'Pedido 5', 7)], ctx),
    ).toEqual(['1', 'Pedido 5', 'ACME SA', 'https://acme.bitrix24.com/crm/deal/details/5/', 'Cliente ACME']);
  });

  it('several events: the list link, companies once, untitled ones by id', () => {
    const events = [deal(1, 'Uno', 7), deal(2, '', 7), deal(3, 'Tres', 9)];
    expect(digestParams(['titles', 'company', 'link'], events, ctx)).toEqual([
      'Uno, #2, Tres',
      'ACME SA, #9',
      'https://acme.bitrix24.com/crm/deal/list/',
    ]);
  });

  it('never a new line, a tab, four spaces, an empty value or more than 1024 characters', () => {
    const many = Array.from({ length: 25 }, (_, i) => deal(i + 1, `Pedido\n\t${'x'.repeat(200)}    ${i}`));
    const [titles, company] = digestParams(['titles', 'company'], many, ctx);
    expect(titles).not.toMatch(/[\n\t]| {4}/);
    expect(titles?.length).toBeLessThanOrEqual(1024);
    expect(company).toBe('-');
    const few = digestParams(
      ['titles'],
      many.slice(0, 12).map((e) => ({ ...e, title: 'T' })),
      ctx,
    );
    expect(few).toEqual(['T, T, T, T, T, T, T, T, T, T (+2)']);
  });

  it('titles in the order the changes happened in the CRM, then by id, whatever order they were recorded in', () => {
    const at = (iso: string) => new Date(iso);
    const events = [
      { ...deal(2, 'SIRA 2'), occurred_at: at('2026-11-30T10:00:00Z') },
      { ...deal(3, 'SIRA 3'), occurred_at: at('2026-11-30T09:00:00Z') },
      { ...deal(1, 'SIRA 1'), occurred_at: at('2026-11-30T10:00:00Z') },
    ];
    expect(digestParams(['titles'], events, ctx)).toEqual(['SIRA 3, SIRA 1, SIRA 2']);
  });
});
