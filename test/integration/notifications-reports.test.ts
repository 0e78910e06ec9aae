import { describe, expect, it } from 'vitest';
import { api, connectChannel, installAndToken, SAMPLE_PORTAL } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate } from '../helpers/templates.js';

/**
 * Issue 13, reports: a CRM condition told by an approved template, checked when chosen, and each
 * group's weekdays and hours for it, written as the seed writes them ("LU,MA,MI,JU,VI,SA", 7–23).
 */
type Report = { id: number; name: string; kind: string; template: { name: string; status: string } | null };
type GroupReport = {
  id: number;
  enabled: boolean;
  schedule: { preset: string; days: string; from: string; to: string; holidays: string };
};
type Refusal = { error: { code: string; issues?: { field: string; code: string }[] } };

describe('notification reports', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let approved = '';
  let pending = '';
  let main = 0;
  let report = 0;

  it('a report takes only the portal’s approved template with as many parameters as it fills', async () => {
    token = await installAndToken(s);
    const { id: channelId } = await connectChannel(s, token);
    approved = (await addTemplate(s, { channelId, name: 'aprobaciones', displayName: 'Aprobaciones' })).id;
    pending = (await addTemplate(s, { channelId, name: 'pendiente', status: 'pending' })).id;
    const base = { kind: 'deal_stage', name: 'SIRAS aprobadas', categoryId: 0, stageId: 'C0:WON' };

    const wrongCount = await api<Refusal>(s, token, 'POST', '/notification-reports', {
      ...base,
      templateId: approved,
      params: ['count'],
    });
    expect(wrongCount.status).toBe(400);
    expect(wrongCount.body.error.issues).toMatchObject([{ field: 'params', code: 'params_count' }]);
    const notApproved = await api<Refusal>(s, token, 'POST', '/notification-reports', {
      ...base,
      templateId: pending,
      params: ['count', 'titles'],
    });
    expect(notApproved.body.error.issues).toMatchObject([
      { field: 'templateId', code: 'template_not_approved' },
    ]);
    const unknown = await api<Refusal>(s, token, 'POST', '/notification-reports', {
      ...base,
      templateId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown.body.error.issues).toMatchObject([{ field: 'templateId', code: 'template_not_found' }]);

    const ok = await api<Report>(s, token, 'POST', '/notification-reports', {
      ...base,
      templateId: approved,
      params: ['count', 'titles'],
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      kind: 'deal_stage',
      template: { name: 'Aprobaciones', status: 'approved' },
    });
    report = ok.body.id;
    const dup = await api<Refusal>(s, token, 'POST', '/notification-reports', {
      ...base,
      name: 'siras APROBADAS',
    });
    expect(dup.status).toBe(409);
    const other = await api<Report>(s, token, 'POST', '/notification-reports', {
      kind: 'deal_field_changed',
      name: 'Plazo MLC cambiado',
      field: 'UF_CRM_1700000000',
    });
    expect(other.status).toBe(201);
    const list = await api<{ reports: Report[] }>(s, token, 'GET', '/notification-reports');
    expect(list.body.reports.map((r) => r.name)).toEqual(['SIRAS aprobadas', 'Plazo MLC cambiado']);
  });

  it('a group’s reports grid: presets and the seed’s custom weekdays and hours', async () => {
    const groups = await api<{ groups: { id: number }[] }>(s, token, 'GET', '/notification-groups');
    main = groups.body.groups[0]!.id;
    const before = await api<{ group: { reports: GroupReport[] } }>(
      s,
      token,
      'GET',
      `/notification-groups/${main}`,
    );
    expect(before.body.group.reports).toHaveLength(2);
    expect(before.body.group.reports.every((r) => !r.enabled)).toBe(true);

    const custom = await api<{ reports: GroupReport[] }>(
      s,
      token,
      'PUT',
      `/notification-groups/${main}/reports/${report}`,
      {
        enabled: true,
        schedule: { preset: 'custom', days: 'LU,MA,MI,JU,VI,SA', from: '7:00', to: '23:00' },
      },
    );
    expect(custom.status).toBe(200);
    expect(custom.body.reports.find((r) => r.id === report)).toMatchObject({
      enabled: true,
      schedule: { preset: 'custom', days: 'LU,MA,MI,JU,VI,SA', from: '07:00', to: '23:00', holidays: 'skip' },
    });
    const preset = await api<{ reports: GroupReport[] }>(
      s,
      token,
      'PUT',
      `/notification-groups/${main}/reports/${report}`,
      {
        enabled: true,
        schedule: { preset: 'full_time' },
      },
    );
    expect(preset.body.reports.find((r) => r.id === report)?.schedule).toEqual({
      preset: 'full_time',
      days: 'LU,MA,MI,JU,VI,SA,DO',
      from: '07:00',
      to: '23:00',
      holidays: 'allow',
    });
  });

  it('bad schedules and bad reports are 400s naming the field; unknown ids 404; a deleted report leaves the grid', async () => {
    const put = (body: unknown, r = report) =>
      api<Refusal>(s, token, 'PUT', `/notification-groups/${main}/reports/${r}`, body);
    for (const [schedule, field] of [
      [{ preset: 'custom', days: 'LU,XX', from: '07:00', to: '23:00' }, 'schedule.days'],
      [{ preset: 'custom', days: '', from: '07:00', to: '23:00' }, 'schedule.days'],
      [{ preset: 'custom', days: 'LU', from: '25:00', to: '23:00' }, 'schedule.time'],
      [{ preset: 'custom', days: 'LU', from: '10:00', to: '10:00' }, 'schedule.to'],
    ] as const) {
      const r = await put({ enabled: true, schedule });
      expect(r.status, JSON.stringify(schedule)).toBe(400);
      expect(r.body.error.issues?.[0]?.field, JSON.stringify(schedule)).toBe(field);
    }
    expect((await put({ enabled: true, schedule: { preset: 'nightly' } })).status).toBe(400);
    expect((await put({ enabled: 'yes', schedule: { preset: 'working' } })).status).toBe(400);
    expect((await put({ enabled: true, schedule: { preset: 'working' } }, 999999)).status).toBe(404);
    for (const body of [
      { kind: 'deal_stage', name: 'x' },
      { kind: 'deal_stage', name: 'x', stageId: 'DROP TABLE; --' },
      { kind: 'deal_field_changed', name: 'x', field: 'closedate' },
      { kind: 'new_lead', name: 'x', sourceId: 'WEB', params: ['everything'] },
      { kind: 'webhook', name: 'x' },
      { kind: 'new_lead', name: '\u0007', sourceId: 'WEB' },
    ]) {
      expect((await api(s, token, 'POST', '/notification-reports', body)).status, JSON.stringify(body)).toBe(
        400,
      );
    }
    expect((await api(s, token, 'DELETE', `/notification-reports/${report}`)).status).toBe(204);
    expect((await api(s, token, 'DELETE', `/notification-reports/${report}`)).status).toBe(404);
    const after = await api<{ group: { reports: GroupReport[] } }>(
      s,
      token,
      'GET',
      `/notification-groups/${main}`,
    );
    expect(after.body.group.reports.map((r) => r.id)).not.toContain(report);
  });
});
