export {
  checkMySqlTestServer,
  createEmbeddedTestDatabase,
  createMySqlTestDatabase,
  defaultMySqlTestUrl,
  type MySqlTestServer,
  mySqlTestServerUrl,
  type TestDatabase,
} from './test-databases.js';
