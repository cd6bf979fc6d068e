-- Written by hand (drizzle-kit asks about renames interactively): what was a "run" is one
-- completion call; "run" now names a scheduler run (0005). Renames only: no row changes.
ALTER TABLE `completion_run_orders` DROP FOREIGN KEY `completion_run_orders_run_id_completion_runs_id_fk`;
--> statement-breakpoint
RENAME TABLE `completion_runs` TO `completion_calls`, `completion_run_orders` TO `completion_call_orders`;
--> statement-breakpoint
ALTER TABLE `completion_call_orders` RENAME COLUMN `run_id` TO `call_id`, RENAME INDEX `completion_run_orders_order_id_idx` TO `completion_call_orders_order_id_idx`;
--> statement-breakpoint
-- The rows were checked by the constraint just dropped: re-adding it without checking them
-- again lets InnoDB add it in place instead of copying the table.
SET SESSION foreign_key_checks = 0;
--> statement-breakpoint
ALTER TABLE `completion_call_orders` ADD CONSTRAINT `completion_call_orders_call_id_completion_calls_id_fk` FOREIGN KEY (`call_id`) REFERENCES `completion_calls`(`id`) ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
SET SESSION foreign_key_checks = 1;
--> statement-breakpoint
ALTER TABLE `completion_ledger` RENAME COLUMN `run_id` TO `call_id`, RENAME INDEX `completion_ledger_run_id_idx` TO `completion_ledger_call_id_idx`;
