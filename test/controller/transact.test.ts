// transact(): a write transaction that lost a lock-order conflict (deadlock) or a serialisation
// check runs again from the start; any other failure is the caller's at once.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/controller/store/open.js';
import { transact } from '../../src/controller/store/transact.js';
import { STORES, Stores } from '../helpers/controller.js';

function pgError(code: string): Error {
  return Object.assign(new Error(`simulated ${code}`), { code });
}

function collectingLog(): { warn(obj: object, msg: string): void; lines: { obj: object; msg: string }[] } {
  const lines: { obj: object; msg: string }[] = [];
  return { lines, warn: (obj, msg) => lines.push({ obj, msg }) };
}

const token = (id: string) => ({
  id,
  name: id,
  scope: 'viewer' as const,
  token_hash: `hash-${id}`,
  created_at: 1,
  revoked_at: null,
});

for (const kind of STORES) {
  describe(`transact on ${kind}`, () => {
    const stores = new Stores(kind);
    let store: Store;
    beforeEach(async () => {
      store = await openStore({ url: await stores.url() });
    });
    afterEach(async () => store.close());
    after(() => stores.cleanup());

    const tokenIds = async () =>
      (await store.db.selectFrom('tokens').select('id').orderBy('id').execute()).map((r) => r.id);

    test('a retryable failure rolls the attempt back and runs the whole transaction again', async () => {
      const log = collectingLog();
      let calls = 0;
      const out = await transact(
        store,
        async (trx) => {
          calls++;
          await trx
            .insertInto('tokens')
            .values(token(`attempt-${calls}`))
            .execute();
          if (calls === 1) throw pgError('40P01');
          return 'done';
        },
        { log, what: 'test write' },
      );
      assert.equal(out, 'done');
      assert.equal(calls, 2);
      assert.deepEqual(await tokenIds(), ['attempt-2'], 'the failed attempt left nothing behind');
      assert.equal(log.lines.length, 1);
      assert.deepEqual(log.lines[0]!.obj, { attempt: 1, code: '40P01', what: 'test write' });
    });

    test('it gives up after the bounded attempts with the last error', async () => {
      let calls = 0;
      await assert.rejects(
        transact(
          store,
          async () => {
            calls++;
            throw pgError('40001');
          },
          { attempts: 3 },
        ),
        { code: '40001' },
      );
      assert.equal(calls, 3);
    });

    test('any other error is thrown at once, and nothing is written', async () => {
      let calls = 0;
      await store.db.insertInto('tokens').values(token('existing')).execute();
      await assert.rejects(
        transact(store, async (trx) => {
          calls++;
          await trx.insertInto('tokens').values(token('new')).execute();
          // A unique violation: a real error, not a lost race.
          await trx.insertInto('tokens').values(token('existing')).execute();
        }),
        (err: { code?: string }) => /^(23505|SQLITE_CONSTRAINT)/.test(err.code ?? ''),
      );
      assert.equal(calls, 1);
      assert.deepEqual(await tokenIds(), ['existing']);
    });

    if (kind === 'postgres') {
      test('a real deadlock between two transactions: both commit, one of them ran twice', async () => {
        await store.db
          .insertInto('tokens')
          .values([token('t1'), token('t2')])
          .execute();
        const log = collectingLog();
        // Each transaction locks its first row, waits until the other has too, then wants the
        // other's row: a lock-order cycle that PostgreSQL breaks by failing one with 40P01.
        let arrived = 0;
        let release: () => void = () => {};
        const bothLocked = new Promise<void>((r) => {
          release = r;
        });
        const meet = async () => {
          if (++arrived === 2) release();
          await bothLocked;
        };
        let calls = 0;
        const crossing = (first: string, second: string, name: string) =>
          transact(
            store,
            async (trx) => {
              const attempt = ++calls;
              await trx.updateTable('tokens').set({ name }).where('id', '=', first).execute();
              if (attempt <= 2) await meet();
              await trx.updateTable('tokens').set({ name }).where('id', '=', second).execute();
            },
            { log },
          );
        await Promise.all([crossing('t1', 't2', 'a'), crossing('t2', 't1', 'b')]);
        assert.equal(calls, 3, 'exactly one transaction was run again');
        assert.equal(log.lines.length, 1);
        assert.equal((log.lines[0]!.obj as { code: string }).code, '40P01');
        const names = await store.db.selectFrom('tokens').select('name').orderBy('id').execute();
        // Whichever lost ran again after the winner committed: both rows carry the loser's name.
        assert.equal(new Set(names.map((n) => n.name)).size, 1);
      });
    }
  });
}
