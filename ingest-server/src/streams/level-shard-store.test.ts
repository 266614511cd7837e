import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelShardStore } from './level-shard-store.js';
import { runShardStoreContract } from './store.contract.js';

runShardStoreContract('LevelShardStore', {
  async create() {
    const location = join(mkdtempSync(join(tmpdir(), 'rivulet-store-')), 'db');
    return { store: new LevelShardStore({ location }), reopen: async () => new LevelShardStore({ location }) };
  },
});
