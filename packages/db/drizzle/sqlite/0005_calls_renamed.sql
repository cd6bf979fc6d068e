-- Written by hand (drizzle-kit asks about renames interactively): what was a "run" is one
-- completion call; "run" now names a scheduler run (0006). Renames only: no row changes.
ALTER TABLE `completion_runs` RENAME TO `completion_calls`;
--> statement-breakpoint
ALTER TABLE `completion_run_orders` RENAME TO `completion_call_orders`;
--> statement-breakpoint
ALTER TABLE `completion_call_orders` RENAME COLUMN `run_id` TO `call_id`;
--> statement-breakpoint
DROP INDEX `completion_run_orders_order_id_idx`;
--> statement-breakpoint
CREATE INDEX `completion_call_orders_order_id_idx` ON `completion_call_orders` (`order_id`);
--> statement-breakpoint
ALTER TABLE `completion_ledger` RENAME COLUMN `run_id` TO `call_id`;
--> statement-breakpoint
DROP INDEX `completion_ledger_run_id_idx`;
--> statement-breakpoint
CREATE INDEX `completion_ledger_call_id_idx` ON `completion_ledger` (`call_id`);
