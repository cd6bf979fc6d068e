CREATE TABLE `completion_ledger` (
	`order_id` integer PRIMARY KEY NOT NULL,
	`state` text(16) NOT NULL,
	`run_id` text(64) NOT NULL,
	`lease_until` integer NOT NULL,
	`claimed_at` integer NOT NULL,
	`notified_at` integer,
	`finished_at` integer,
	`claims` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `completion_ledger_run_id_idx` ON `completion_ledger` (`run_id`);--> statement-breakpoint
CREATE INDEX `completion_ledger_state_lease_idx` ON `completion_ledger` (`state`,`lease_until`);--> statement-breakpoint
CREATE TABLE `leases` (
	`name` text(64) PRIMARY KEY NOT NULL,
	`holder` text(128) NOT NULL,
	`lease_until` integer NOT NULL,
	`acquired_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `service_settings` (
	`name` text(64) PRIMARY KEY NOT NULL,
	`value` text(255) NOT NULL
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_completion_runs` (
	`id` text(64) PRIMARY KEY NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`requested_count` integer NOT NULL,
	`outcome` text(32) NOT NULL,
	`completed_count` integer NOT NULL,
	`failed_count` integer NOT NULL,
	`not_found_count` integer DEFAULT 0 NOT NULL,
	`failed_requirements_count` integer DEFAULT 0 NOT NULL,
	`not_notified_count` integer DEFAULT 0 NOT NULL,
	`not_updated_count` integer DEFAULT 0 NOT NULL,
	`claimed_elsewhere_count` integer DEFAULT 0 NOT NULL,
	`response` text
);
--> statement-breakpoint
INSERT INTO `__new_completion_runs`("id", "started_at", "finished_at", "requested_count", "outcome", "completed_count", "failed_count", "response") SELECT "id", "started_at", "finished_at", "requested_count", "outcome", "completed_count", "failed_count", "response" FROM `completion_runs`;--> statement-breakpoint
DROP TABLE `completion_runs`;--> statement-breakpoint
ALTER TABLE `__new_completion_runs` RENAME TO `completion_runs`;--> statement-breakpoint
PRAGMA foreign_keys=ON;