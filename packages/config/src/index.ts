export { ConfigError } from './config-error.js';
export { describeEnv, type EnvRow, renderEnvExample } from './env-docs.js';
export { type AppConfigSource, type EnvKeys, loadConfig } from './load-config.js';
