/** The one error every app's configuration throws: a message naming each bad key, no values. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
