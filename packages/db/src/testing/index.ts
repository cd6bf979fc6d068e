export { backdate } from './backdate.js';
export {
  checkMySqlTestServer,
  createEmbeddedTestDatabase,
  createMySqlTestDatabase,
  defaultMySqlTestUrl,
  type MySqlTestServer,
  mySqlTestServerUrl,
  probeMySqlServer,
  type TestDatabase,
} from './test-databases.js';
