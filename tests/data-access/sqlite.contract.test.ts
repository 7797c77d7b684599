import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/data-access/sqlite/sqlite-store';
import Database from 'better-sqlite3';
import { CERTIFICATE_COLUMNS, certificateParams } from '../../src/data-access/rows';
import { SQLITE_MIGRATIONS } from '../../src/data-access/sqlite/migrations';
import { certificate, describeStoreContract } from './repositories.contract';
import { describeOutboxContract } from './outbox.contract';

const fresh = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teams-meetings-contract-'));
  const store = SqliteStore.open(path.join(dir, 'test.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
};
describeStoreContract('sqlite', fresh);
describeOutboxContract('sqlite', fresh);

describe('sqlite migration 4', () => {
  test('keeps the first of a certificate stored twice by one partner, and every other row', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teams-meetings-migration-'));
    const file = path.join(dir, 'test.db');
    try {
      // A file as release 3 left it: migrations 1-3 applied, a certificate imported twice.
      const db = new Database(file);
      db.exec(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      for (const m of SQLITE_MIGRATIONS.filter((m) => m.version <= 3)) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          '2026-01-01T00:00:00Z',
        );
      }
      const insertPartner = db.prepare(
        `INSERT INTO partners (id, application_id, tenant_id, operator_local_match_field, operator_remote_match_field,
           user_local_match_field, user_remote_match_field, cloud, created_at, updated_at)
         VALUES (?, 'app', 'tenant', 'email', 'mail', 'email', 'mail', 'global', '2026-01-01', '2026-01-01')`,
      );
      insertPartner.run('p1');
      insertPartner.run('p2');
      const insert = db.prepare(
        `INSERT INTO partner_certificates (${CERTIFICATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const first = certificate('c1', 'p1', { createdAt: '2026-01-01T00:00:00.000Z' });
      insert.run(...certificateParams(first));
      insert.run(
        ...certificateParams(
          certificate('c2', 'p1', {
            thumbprintSha256: first.thumbprintSha256,
            createdAt: '2026-02-01T00:00:00.000Z',
          }),
        ),
      );
      insert.run(...certificateParams(certificate('c3', 'p1')));
      insert.run(...certificateParams(certificate('c4', 'p2', { thumbprintSha256: first.thumbprintSha256 })));
      db.close();

      const after = SqliteStore.open(file);
      expect((await after.certificates.listByPartner('p1')).map((c) => c.id).sort()).toEqual(['c1', 'c3']);
      expect(await after.certificates.get('p1', 'c1')).toEqual(first);
      expect((await after.certificates.listByPartner('p2')).map((c) => c.id)).toEqual(['c4']);
      await after.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
