import { createClient } from '@libsql/client';
import { createEmbeddedTestDatabase } from '../src/testing/index.js';
import { describeLedgerQueriesContract } from './ledger-queries.contract.js';
import { describeRepositoryContract } from './order-repository.contract.js';
import { describeSchedulerRunsContract } from './scheduler-runs.contract.js';

describeRepositoryContract('embedded (libsql)', false, async () => {
  const database = await createEmbeddedTestDatabase();
  const raw = createClient({ url: database.url });
  return {
    url: database.url,
    async failUpdatesOf(orderId) {
      await raw.execute(
        `CREATE TRIGGER ocs_test_fail_update BEFORE UPDATE ON ORDERS FOR EACH ROW
         WHEN OLD.Id = ${Number(orderId)}
         BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`,
      );
    },
    async clearFailures() {
      await raw.execute('DROP TRIGGER IF EXISTS ocs_test_fail_update');
    },
    async runOrderOutcomes(callId) {
      const result = await raw.execute({
        sql: 'SELECT order_id AS orderId, outcome FROM completion_call_orders WHERE call_id = ? ORDER BY order_id',
        args: [callId],
      });
      return result.rows.map((row) => ({
        orderId: Number(row.orderId),
        outcome: String(row.outcome),
      }));
    },
    async drop() {
      raw.close();
      await database.drop();
    },
  };
});

describeLedgerQueriesContract('embedded (libsql)', false, createEmbeddedTestDatabase);
describeSchedulerRunsContract('embedded (libsql)', false, createEmbeddedTestDatabase);
