CREATE TABLE `completion_ledger` (
	`order_id` int NOT NULL,
	`state` varchar(16) NOT NULL,
	`run_id` varchar(64) NOT NULL,
	`lease_until` bigint NOT NULL,
	`claimed_at` bigint NOT NULL,
	`notified_at` bigint,
	`finished_at` bigint,
	`claims` int NOT NULL DEFAULT 1,
	CONSTRAINT `completion_ledger_order_id` PRIMARY KEY(`order_id`)
);
--> statement-breakpoint
CREATE TABLE `leases` (
	`name` varchar(64) NOT NULL,
	`holder` varchar(128) NOT NULL,
	`lease_until` bigint NOT NULL,
	`acquired_at` bigint NOT NULL,
	CONSTRAINT `leases_name` PRIMARY KEY(`name`)
);
--> statement-breakpoint
CREATE TABLE `service_settings` (
	`name` varchar(64) NOT NULL,
	`value` varchar(255) NOT NULL,
	CONSTRAINT `service_settings_name` PRIMARY KEY(`name`)
);
--> statement-breakpoint
ALTER TABLE `completion_runs` MODIFY COLUMN `finished_at` datetime(3);--> statement-breakpoint
ALTER TABLE `completion_runs` MODIFY COLUMN `response` longtext;--> statement-breakpoint
ALTER TABLE `completion_runs` ADD `not_found_count` int DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `completion_runs` ADD `failed_requirements_count` int DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `completion_runs` ADD `not_notified_count` int DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `completion_runs` ADD `not_updated_count` int DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `completion_runs` ADD `claimed_elsewhere_count` int DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `completion_ledger_run_id_idx` ON `completion_ledger` (`run_id`);--> statement-breakpoint
CREATE INDEX `completion_ledger_state_lease_idx` ON `completion_ledger` (`state`,`lease_until`);