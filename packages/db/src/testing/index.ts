export { backdate } from './backdate.js';
export { type PartitionMode, PartitionProxy, type TappedId } from './tcp-proxy.js';
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
