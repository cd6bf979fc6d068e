export { ConfigError } from './config-error.js';
export { describeEnv, type EnvRow, renderEnvExample, renderEnvTable } from './env-docs.js';
export { type EnvVariable, envVariables } from './env-variables.js';
export { type AppConfigSource, loadConfig } from './load-config.js';
export { bool, int, logLevel, logLevels } from './schemas.js';
