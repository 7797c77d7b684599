import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/data-access/sqlite/sqlite-store';
import { describeStoreContract } from './repositories.contract';

describeStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teams-meetings-contract-'));
  const store = SqliteStore.open(path.join(dir, 'test.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
