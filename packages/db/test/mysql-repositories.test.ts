import { createConnection } from 'mysql2/promise';
import { checkMySqlTestServer, createMySqlTestDatabase } from '../src/testing/index.js';
import { describeLedgerQueriesContract } from './ledger-queries.contract.js';
import { describeRepositoryContract } from './order-repository.contract.js';
import { describeSchedulerRunsContract } from './scheduler-runs.contract.js';

const server = await checkMySqlTestServer();

describeRepositoryContract('MariaDB/MySQL', !server.available, async () => {
  const database = await createMySqlTestDatabase();
  const raw = await createConnection({ uri: database.url });
  return {
    url: database.url,
    async failUpdatesOf(orderId) {
      await raw.query(
        `CREATE TRIGGER ocs_test_fail_update BEFORE UPDATE ON ORDERS FOR EACH ROW
         BEGIN
           IF OLD.Id = ${Number(orderId)} THEN
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'simulated failure';
           END IF;
         END`,
      );
    },
    async clearFailures() {
      await raw.query('DROP TRIGGER IF EXISTS ocs_test_fail_update');
    },
    async runOrderOutcomes(callId) {
      const [rows] = await raw.query(
        'SELECT order_id AS orderId, outcome FROM completion_call_orders WHERE call_id = ? ORDER BY order_id',
        [callId],
      );
      return rows as { orderId: number; outcome: string }[];
    },
    async drop() {
      await raw.end();
      await database.drop();
    },
  };
});

describeLedgerQueriesContract('MariaDB/MySQL', !server.available, createMySqlTestDatabase);
describeSchedulerRunsContract('MariaDB/MySQL', !server.available, createMySqlTestDatabase);
