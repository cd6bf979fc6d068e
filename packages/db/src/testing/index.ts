export { backdate } from './backdate.js';
export { type ProxyMode, startTcpProxy, type TcpProxy } from './tcp-proxy.js';
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
