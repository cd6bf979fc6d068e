export * from './contract.js';
export {
  type CircuitStateName,
  createOrderNotifier,
  HttpOrderNotifier,
  type NotifierDependencies,
} from './http-order-notifier.js';
export { idempotencyKeyFor } from './idempotency-key.js';
export {
  InvalidNotifierOptionsError,
  type NotifierClientOptions,
  type NotifierClientOptionsInput,
  notifierClientOptionsSchema,
  parseNotifierClientOptions,
} from './options.js';
export {
  type NotifierProtocol,
  type Protocol,
  protocolNames,
  protocolSchema,
  protocols,
} from './protocols/index.js';
export { parseRetryAfter } from './retry-after.js';
