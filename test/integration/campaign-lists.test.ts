import { beforeAll, describe, expect, it } from 'vitest';
import {
  frontendAuth,
  installAndToken,
  connectChannel,
  SAMPLE_PORTAL,
  waitFor,
  type DemoChannel,
} from '../../scripts/stack.js';
import { draftCampaign, storedList, uploadList } from '../helpers/campaign-lists.js';
import { parseCsv } from '../helpers/csv.js';
import { anotherPortal, useStack } from '../helpers/stack.js';
import { addTemplate, asUser, withToken } from '../helpers/templates.js';

/**
 * A campaign's list from a CSV (issue 14, docs/campaigns.md "Lists"): both shapes stored with every
 * row's fate (E.164 phone with the channel's country, +54 here; the rejection codes of the
 * contract), the preview as the customer reads it, rejected.csv, the opt-outs, and who may do it.
 */
describe('campaign lists from a CSV', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;
  let ch: DemoChannel;
  let campaign: number;
  let templateId: string;
  let otherTemplateId: string;

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    templateId = (await addTemplate(s, { channelId: ch.id, name: 'aviso', displayName: 'Aviso' })).id;
    otherTemplateId = (
      await addTemplate(s, {
        channelId: ch.id,
        name: 'saludo',
        body: 'Buenos días {{1}}',
        params: [{ name: 'nombre', example: 'Ana' }],
      })
    ).id;
    await addTemplate(s, { channelId: ch.id, name: 'pausada', status: 'paused' });
    campaign = await draftCampaign(s, { channelId: ch.id, templateId });
    const out = await withToken(s, token, 'POST', '/opt-outs', { phone: '+54 9 11 5555-0099' });
    expect(out.status).toBe(201);
  });

  it('columns: rows stored in E.164, every rejection with its code; the preview rendered', async () => {
    const csv = [
      'Teléfono,Nombre,param1,param2',
      '011 15-5555-0001,Ana,Ana,A-1', // national format, the channel's country (AR)
      '+54 9 11 5555-0002,"Pérez, Luis","Luis ""el grande""",B-2',
      '+54 9 11 5555-0001,Ana otra vez,Ana,A-9', // duplicate
      '+54 9 11 5555-0099,Baja,X,Y', // opted out
      ',Sin número,X,Y', // phone_missing
      '12,Corto,X,Y', // phone_invalid
      '=cmd|calc,Fórmula,X,Y', // phone_invalid, written back formula-safe
      '+54 9 11 5555-0003,Falta,Solo uno,', // param_missing
      '+54 9 11 5555-0004,🙂 عربى\u200b,Zoë 😀 ñ,“x”', // odd unicode survives
      '',
    ].join('\r\n');
    const r = await uploadList(s, { token }, campaign, csv);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.list).toMatchObject({ source: 'csv', status: 'ready', rows: 9, rejected: 6 });
    expect((r.body as { preview?: unknown[] }).preview).toHaveLength(3);
    expect(r.body.list?.info).toMatchObject({
      shape: 'columns',
      delimiter: ',',
      encoding: 'utf-8',
      defaultCountry: 'AR',
    });
    const stored = await storedList(s, campaign);
    expect(stored.rows.map((x) => [x.line_no, x.phone_e164, x.status, x.error_code])).toEqual([
      [2, '+5491155550001', 'ready', null],
      [3, '+5491155550002', 'ready', null],
      [4, '+5491155550001', 'rejected', 'duplicate'],
      [5, '+5491155550099', 'rejected', 'opted_out'],
      [6, null, 'rejected', 'phone_missing'],
      [7, null, 'rejected', 'phone_invalid'],
      [8, null, 'rejected', 'phone_invalid'],
      [9, '+5491155550003', 'rejected', 'param_missing'],
      [10, '+5491155550004', 'ready', null],
    ]);
    expect(stored.rows[8]).toMatchObject({ name: '🙂 عربى\u200b', params: ['Zoë 😀 ñ', '“x”'] });

    const p = await withToken<NonNullable<typeof r.body>>(
      s,
      token,
      'GET',
      `/campaigns/${campaign}/preview?limit=2`,
    );
    expect(p.status).toBe(200);
    expect(p.body.rows).toEqual([
      {
        line: 2,
        phone: '+5491155550001',
        name: 'Ana',
        params: ['Ana', 'A-1'],
        text: 'Hola Ana, su pedido A-1 está listo.',
        templateName: 'Aviso',
      },
      expect.objectContaining({ line: 3, text: 'Hola Luis "el grande", su pedido B-2 está listo.' }),
    ]);
    expect(p.body.rejected?.[0]).toEqual({
      line: 4,
      rawPhone: '+54 9 11 5555-0001',
      code: 'duplicate',
      message: 'El número ya está en una línea anterior de la lista.',
    });
    expect(p.body.counts).toEqual({ rows: 9, valid: 3, rejected: 6 });
    // A reader whose page is in English reads the reasons in English (the portal's language is Spanish).
    const en = await fetch(`${s.url}/api/v1/campaigns/${campaign}/preview?limit=1`, {
      headers: { authorization: `Bearer ${token}`, 'accept-language': 'en' },
    });
    const enBody = (await en.json()) as { rejected: Array<{ message: string }> };
    expect(enBody.rejected[0]?.message).not.toBe('El número ya está en una línea anterior de la lista.');
    expect(enBody.rejected[0]?.message).toMatch(/earlier line/i);
  });

  it('rejected.csv: every rejected row with its reason in words, formula-safe', async () => {
    const r = await fetch(`${s.url}/api/v1/campaigns/${campaign}/rejected.csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv(await r.text());
    expect(rows[0]).toEqual(['line', 'phone', 'name', 'code', 'reason', 'params']);
    expect(rows.slice(1).map((x) => [x[0], x[3]])).toEqual([
      ['4', 'duplicate'],
      ['5', 'opted_out'],
      ['6', 'phone_missing'],
      ['7', 'phone_invalid'],
      ['8', 'phone_invalid'],
      ['9', 'param_missing'],
    ]);
    expect(rows[5]?.[1]).toBe("'=cmd|calc");
    expect(rows[2]?.[4]).toBe('El cliente pidió no recibir campañas.');
  });

  it('dialer rows (semicolons): each row names its template; unknown, paused and extra values are refused', async () => {
    const csv = [
      '5491155550001;hsm:aviso:Ana:10\\:30 hs',
      '5491155550002;hsm:SALUDO:Luis',
      '5491155550003;hsm:nadie:X',
      '5491155550004;hsm:pausada:X:Y',
      '5491155550005;hsm:saludo:Luis:de más',
      '5491155550006;hsm:aviso:solo',
    ].join('\n');
    const r = await uploadList(s, { token }, campaign, csv);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.list).toMatchObject({ rows: 6, rejected: 4, info: { shape: 'dialer', delimiter: ';' } });
    const stored = await storedList(s, campaign);
    expect(stored.rows.map((x) => [x.line_no, x.status, x.error_code, x.template_id])).toEqual([
      [1, 'ready', null, null],
      [2, 'ready', null, otherTemplateId],
      [3, 'rejected', 'template_unknown', null],
      [4, 'rejected', 'template_not_approved', null],
      [5, 'rejected', 'too_many_params', null],
      [6, 'rejected', 'param_missing', null],
    ]);
    const p = await withToken<{ rows: Array<{ text: string; templateName: string }> }>(
      s,
      token,
      'GET',
      `/campaigns/${campaign}/preview`,
    );
    expect(p.body.rows.map((x) => [x.templateName, x.text])).toEqual([
      ['Aviso', 'Hola Ana, su pedido 10:30 hs está listo.'],
      ['saludo', 'Buenos días Luis'],
    ]);
  });

  it('a non-admin gets 403; the channel’s boss may; ids that are not ones are 404', async () => {
    const user = new URLSearchParams(await frontendAuth(s, 2)).toString();
    expect((await uploadList(s, { frontend: user }, campaign, 'telefono\n+5491155550001\n')).status).toBe(
      403,
    );
    expect((await asUser(s, 2, 'GET', `/campaigns/${campaign}/preview`)).status).toBe(403);
    expect((await asUser(s, 2, 'GET', `/campaigns/${campaign}/rejected.csv`)).status).toBe(403);
    expect((await asUser(s, 2, 'GET', '/opt-outs')).status).toBe(403);
    expect((await asUser(s, 2, 'POST', '/opt-outs', { phone: '+5491155550001' })).status).toBe(403);
    const before = await storedList(s, campaign);
    const ch2 = await s.deps.db
      .selectFrom('channels')
      .select('portal_id')
      .where('id', '=', ch.id)
      .executeTakeFirstOrThrow();
    await s.deps.db
      .insertInto('channel_roles')
      .values({ portal_id: ch2.portal_id, channel_id: ch.id, user_id: 3, boss: true })
      .execute();
    const boss = new URLSearchParams(await frontendAuth(s, 3)).toString();
    expect((await asUser(s, 3, 'GET', `/campaigns/${campaign}/preview`)).status).toBe(200);
    expect((await asUser(s, 3, 'GET', '/opt-outs')).status).toBe(403);
    expect((await storedList(s, campaign)).rows).toEqual(before.rows);
    const ok = await uploadList(s, { frontend: boss }, campaign, 'telefono,p1,p2\n+5491155550007,a,b\n');
    expect(ok.status).toBe(200);
    for (const bad of ['abc', '0', '-1', '99999999999']) {
      expect((await withToken(s, token, 'GET', `/campaigns/${bad}/preview`)).status, bad).toBe(404);
    }
  });

  it('another portal’s token: our campaign does not exist for it (404), nor do our opt-outs', async () => {
    const other = await anotherPortal(s, 'otro');
    const before = await storedList(s, campaign);
    const r = await uploadList(s, { token: other.token }, campaign, 'telefono,p1,p2\n+5491155550001,a,b\n');
    expect(r.status).toBe(404);
    expect((await withToken(s, other.token, 'GET', `/campaigns/${campaign}/preview`)).status).toBe(404);
    expect((await withToken(s, other.token, 'GET', `/campaigns/${campaign}/rejected.csv`)).status).toBe(404);
    const crm = await withToken(s, other.token, 'POST', `/campaigns/${campaign}/list/crm`, {
      entity: 'contact',
    });
    expect(crm.status).toBe(404);
    const theirs = await withToken<{ total: number }>(s, other.token, 'GET', '/opt-outs');
    expect(theirs.body.total).toBe(0);
    expect((await withToken(s, other.token, 'DELETE', '/opt-outs/5491155550099')).status).toBe(404);
    expect(await storedList(s, campaign)).toEqual(before);
  });

  it('only a draft’s list changes (409, the list stays)', async () => {
    await s.deps.db.updateTable('campaigns').set({ status: 'paused' }).where('id', '=', campaign).execute();
    const before = await storedList(s, campaign);
    const r = await uploadList(s, { token }, campaign, 'telefono,p1,p2\n+5491155550008,a,b\n');
    expect(r.status).toBe(409);
    expect(r.body.error?.message).toBe('La lista solo se puede cambiar mientras la campaña es un borrador.');
    expect(await storedList(s, campaign)).toEqual(before);
    await s.deps.db.updateTable('campaigns').set({ status: 'draft' }).where('id', '=', campaign).execute();
  });

  it('opt-outs: added in national format with the channel’s country, listed, searched, removed', async () => {
    const add = await withToken<{ phone: string }>(s, token, 'POST', '/opt-outs', {
      phone: '011 15 5555-0123',
      channelId: ch.id,
    });
    expect(add.status).toBe(201);
    expect(add.body.phone).toBe('+5491155550123');
    expect((await withToken(s, token, 'POST', '/opt-outs', { phone: '+5491155550123' })).status).toBe(200);
    const bad = await withToken<{ error: { issues: Array<{ code: string }> } }>(
      s,
      token,
      'POST',
      '/opt-outs',
      { phone: 'hola' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0]?.code).toBe('phone_invalid');
    const list = await withToken<{ items: Array<{ phone: string; source: string }>; total: number }>(
      s,
      token,
      'GET',
      '/opt-outs?search=0123',
    );
    expect(list.body).toMatchObject({ total: 1, items: [{ phone: '+5491155550123', source: 'manual' }] });
    expect(
      (await withToken(s, token, 'DELETE', `/opt-outs/${encodeURIComponent('+5491155550123')}`)).status,
    ).toBe(204);
    expect((await withToken(s, token, 'DELETE', '/opt-outs/5491155550123')).status).toBe(404);
  });

  it('a customer who writes only a stop keyword is opted out (source keyword); other texts are not', async () => {
    await s.gupshup.customerSends({
      appName: ch.appName,
      from: '5491155550301',
      text: 'hola, quiero darme de baja',
    });
    await s.gupshup.customerSends({ appName: ch.appName, from: '5491155550302', text: '  ¡Bája! ' });
    await s.gupshup.customerSends({ appName: ch.appName, from: '5491155550303', text: 'STOP' });
    const stored = await waitFor(async () => {
      const rows = await s.deps.db
        .selectFrom('opt_outs')
        .select(['phone_e164', 'source', 'channel_id'])
        .where('source', '=', 'keyword')
        .orderBy('phone_e164')
        .execute();
      // Delivered to the open line means the delivery job has seen all three texts.
      const delivered = s.portal.messages({ author: 'customer' }).length >= 3;
      return delivered ? rows : undefined;
    });
    expect(stored).toEqual([
      { phone_e164: '+5491155550302', source: 'keyword', channel_id: ch.id },
      { phone_e164: '+5491155550303', source: 'keyword', channel_id: ch.id },
    ]);
    const r = await uploadList(
      s,
      { token },
      campaign,
      'telefono,p1,p2\n+5491155550302,a,b\n+5491155550301,a,b\n',
    );
    expect(r.body.rejected).toEqual([expect.objectContaining({ line: 2, code: 'opted_out' })]);
  });
});
