/**
 * The tRPC router: one file per noun, each procedure with the roles it allows. Clients import
 * `AppRouter` as a type only.
 */
import { router } from '../trpc.js';
import { callsRouter } from './calls.js';
import { claimsRouter } from './claims.js';
import { health } from './health.js';
import { ordersRouter } from './orders.js';
import { runsRouter } from './runs.js';
import { schedulerRouter } from './scheduler.js';
import { sessionRouter } from './session.js';

export const appRouter = router({
  orders: router(ordersRouter),
  calls: router(callsRouter),
  runs: router(runsRouter),
  claims: router(claimsRouter),
  session: router(sessionRouter),
  scheduler: router(schedulerRouter),
  health,
});

export type AppRouter = typeof appRouter;
