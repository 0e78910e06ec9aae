import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/shared/db/database.js';
import pg from 'pg';
import { inject } from 'vitest';

const TEMPLATE_DB = 'wab24_test_template';

/** A fresh, migrated database for one test file (cloned from the template). */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = inject('pgAdminUrl');
  const name = `wab24_t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** One installed portal with one channel ('Norte', Gupshup app NorteApp), straight into the tables. */
export async function seedPortalAndChannel(db: Database): Promise<{ portalId: number; channelId: string }> {
  const portal = await db
    .insertInto('portals')
    .values({
      member_id: 'm-1',
      domain: 'p.example.com',
      client_endpoint: 'https://p.example.com/rest/',
      status: 'installed',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const channel = await db
    .insertInto('channels')
    .values({
      portal_id: portal.id,
      name: 'Norte',
      gupshup_app_name: 'NorteApp',
      gupshup_app_id: 'app-1',
      source_number: '5491100000001',
      api_key_enc: 'x',
      callback_nonce: 'n',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { portalId: portal.id, channelId: channel.id };
}
