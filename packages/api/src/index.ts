export { type AppRouter, appRouter } from './router/index.js';
export { completeInput, completeInputSchema } from './router/orders.js';
export {
  type CompletionErrorData,
  type Context,
  createCallerFactory,
  type Principal,
  type Role,
  roles,
} from './trpc.js';
