import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GupshupTemplateError, type GupshupTemplate } from '../../src/integrations/gupshup/templates.js';
import { createDatabase, type Database } from '../../src/shared/db/database.js';
import { createLogger } from '../../src/shared/logger.js';
import type { TemplateProvider, TemplateSubmission } from '../../src/modules/templates/ports.js';
import { TemplatesRepository } from '../../src/modules/templates/templates.repository.js';
import { TemplatesService } from '../../src/modules/templates/templates.service.js';
import { writeTrace } from '../../src/modules/trace/trace.service.js';
import type { ApiPrincipal } from '../../src/modules/tokens/tokens.service.js';
import { createTestDatabase, seedPortalAndChannel } from '../helpers/db.js';
import { draft } from '../helpers/template-admin.js';

/**
 * The template jobs against a real PostgreSQL and a scripted Gupshup (fake port): exactly one create
 * when an answer is lost, refusals, an approval that overtakes the create's answer, deletions that
 * must not reach Gupshup, and a sync that must not delete from a list it could not read whole.
 */
class FakeGupshup implements TemplateProvider {
  templates: GupshupTemplate[] = [];
  creates = 0;
  deletes: string[] = [];
  /** What the next create does after (or instead of) storing the template. */
  next: 'ok' | 'lost_after' | 'lost_before' | 'refuse' = 'ok';
  onCreated?: (t: GupshupTemplate) => Promise<void>;
  listComplete = true;
  refuseDelete?: string;

  async create(_app: unknown, t: TemplateSubmission) {
    this.creates++;
    const mode = this.next;
    this.next = 'ok';
    if (mode === 'lost_before') {
      throw new GupshupTemplateError('template.create', 'timeout', { retryable: true }, true);
    }
    if (mode === 'refuse') {
      throw new GupshupTemplateError(
        'template.create',
        'refused',
        { retryable: false, status: 400 },
        false,
        'Invalid buttons',
      );
    }
    const g = gupshupTemplate(`gs-${this.creates}`, t.elementName, t.language, 'PENDING', t.body);
    this.templates.push(g);
    await this.onCreated?.(g);
    if (mode === 'lost_after') {
      throw new GupshupTemplateError('template.create', 'reset', { retryable: true }, true);
    }
    return { id: g.id, status: 'PENDING' };
  }

  async list() {
    return { templates: [...this.templates], complete: this.listComplete };
  }

  async delete(_app: unknown, elementName: string) {
    if (this.refuseDelete) {
      throw new GupshupTemplateError(
        'template.delete',
        'no',
        { retryable: false, status: 400 },
        false,
        this.refuseDelete,
      );
    }
    this.deletes.push(elementName);
    this.templates = this.templates.filter((t) => t.elementName !== elementName);
    return 'deleted' as const;
  }
}

function gupshupTemplate(
  id: string,
  elementName: string,
  language: string,
  status: string,
  body: string,
): GupshupTemplate {
  return {
    id,
    elementName,
    language,
    category: 'UTILITY',
    type: 'TEXT',
    status,
    reason: undefined,
    body,
    header: undefined,
    footer: undefined,
    buttons: [],
    buttonsComplete: true,
    sampleBody: undefined,
    sampleHeader: undefined,
  };
}

describe('template jobs', () => {
  let db: Database;
  let drop: () => Promise<void>;
  let gupshup: FakeGupshup;
  let service: TemplatesService;
  let admin: ApiPrincipal;
  let channelId: string;
  const log = createLogger('silent');

  beforeAll(async () => {
    const t = await createTestDatabase();
    drop = t.drop;
    db = createDatabase(t.url, { max: 4 }).db;
    const seeded = await seedPortalAndChannel(db);
    channelId = seeded.channelId;
    admin = { portalId: seeded.portalId, tokenId: 1, userId: null, admin: true, via: 'token' };
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  beforeEach(async () => {
    await db.deleteFrom('jobs').execute();
    await db.deleteFrom('templates').execute();
    gupshup = new FakeGupshup();
    service = new TemplatesService({
      repo: new TemplatesRepository(db),
      provider: gupshup,
      channels: { secrets: async () => ({ appId: 'app-1', apiKey: 'key' }) },
      media: {
        storeUpload: async () => 'x',
        fileOf: async () => undefined,
        link: (id) => `https://app/media/${id}`,
      },
      roles: { channelRoles: async () => [], lines: async () => [{ id: 1, name: 'Ventas' }] },
      trace: writeTrace,
      syncEveryMs: 60_000,
      nudge: () => undefined,
    });
  });

  const job = (topic: string) =>
    db
      .selectFrom('jobs')
      .selectAll()
      .where('topic', '=', topic)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
  const runSubmit = async () => service.submitJob().run(await job('templates.submit'), log);
  const row = (id: string) =>
    db.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const create = (o: Record<string, unknown> = {}) =>
    service.create(admin, draft(channelId, o) as never, 'en');

  it('creates once when the answer was lost after Gupshup created it', async () => {
    const t = await create();
    gupshup.next = 'lost_after';
    await expect(runSubmit()).rejects.toMatchObject({ outcomeUnknown: true });
    expect((await row(t.id)).status).toBe('submitting');
    expect(await runSubmit()).toEqual({ kind: 'done' });
    expect(gupshup.creates).toBe(1);
    expect(await row(t.id)).toMatchObject({ status: 'pending', gupshup_id: 'gs-1' });
  });

  it('creates again when the lost request never reached Gupshup', async () => {
    const t = await create();
    gupshup.next = 'lost_before';
    await expect(runSubmit()).rejects.toThrow();
    await runSubmit();
    expect(gupshup.creates).toBe(2);
    expect(gupshup.templates).toHaveLength(1);
    expect(await row(t.id)).toMatchObject({ status: 'pending', gupshup_id: 'gs-2' });
  });

  it('records a refusal as failed with Gupshup’s words; a later sync adopts a same-named console template', async () => {
    const t = await create();
    gupshup.next = 'refuse';
    expect(await runSubmit()).toEqual({ kind: 'done' });
    expect(await row(t.id)).toMatchObject({
      status: 'failed',
      status_reason: 'Invalid buttons',
      gupshup_id: null,
    });
    gupshup.templates.push(gupshupTemplate('gs-console', 'order_update', 'es', 'APPROVED', 'Hola {{1}}.'));
    await service.requestSync(admin, channelId, 'en');
    await service.syncJob().run(await job('templates.sync'), log);
    expect(await row(t.id)).toMatchObject({
      status: 'approved',
      gupshup_id: 'gs-console',
      body: 'Hola {{1}}.',
    });
  });

  it('keeps an approval that arrived before the create’s answer was recorded', async () => {
    const t = await create();
    gupshup.onCreated = (g) =>
      service.acceptEvent(
        { id: channelId, portalId: admin.portalId },
        {
          kind: 'template',
          app: undefined,
          event: 'status-update',
          templateId: g.id,
          elementName: g.elementName,
          language: g.language,
          status: 'approved',
          reason: undefined,
          description: undefined,
          category: undefined,
        },
      );
    await runSubmit();
    expect(await row(t.id)).toMatchObject({ status: 'approved', gupshup_id: 'gs-1' });
  });

  it('deletes a draft here only, and reports a refused deletion', async () => {
    const t = await create();
    await service.remove(admin, t.id);
    expect(await runSubmit()).toEqual({ kind: 'done' });
    await service.deleteJob().run(await job('templates.delete'), log);
    expect(gupshup.creates).toBe(0);
    expect(gupshup.deletes).toEqual([]);
    expect(await row(t.id)).toMatchObject({ status: 'deleted', active: false });

    const u = await create({ elementName: 'keep_me' });
    await runSubmit();
    gupshup.refuseDelete = 'Delete Operation is not allowed for sandbox apps';
    await service.remove(admin, u.id);
    await service.deleteJob().run(await job('templates.delete'), log);
    const kept = await service.get(admin, u.id);
    expect(kept).toMatchObject({ status: 'pending', deleting: false, statusReason: gupshup.refuseDelete });
  });

  it('marks nothing deleted from a list it could not read whole', async () => {
    const t = await create();
    await runSubmit();
    gupshup.templates = [];
    gupshup.listComplete = false;
    await service.requestSync(admin, channelId, 'en');
    await service.syncJob().run(await job('templates.sync'), log);
    expect((await row(t.id)).status).toBe('pending');
    gupshup.listComplete = true;
    await db.deleteFrom('jobs').execute();
    await service.requestSync(admin, channelId, 'en');
    await service.syncJob().run(await job('templates.sync'), log);
    expect((await row(t.id)).status).toBe('deleted');
  });
});
