export {
  defaultRequirements,
  type RequirementsConfig,
  requirementsConfigSchema,
} from './default-requirements.js';
export { fullyDelivered } from './fully-delivered.js';
export { type OrderAgeOptions, orderAge } from './order-age.js';
export { orderNotFinished } from './order-not-finished.js';
