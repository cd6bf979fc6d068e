CREATE TABLE `scheduler_instances` (
	`instance` text(128) PRIMARY KEY NOT NULL,
	`mode` text(16) NOT NULL,
	`cron` text(128),
	`timezone` text(64),
	`next_run_at` integer,
	`heartbeat_at` integer NOT NULL,
	`heartbeat_every_ms` integer NOT NULL,
	`started_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `scheduler_runs` (
	`id` text(64) PRIMARY KEY NOT NULL,
	`triggered_by` text(16) NOT NULL,
	`status` text(32) NOT NULL,
	`requested_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`updated_at` integer NOT NULL,
	`holder` text(128),
	`retry_of` text(64),
	`retry_outcome` text(32),
	`retry_reason` text(128),
	`expected_count` integer,
	`pending_count` integer DEFAULT 0 NOT NULL,
	`settled_count` integer DEFAULT 0 NOT NULL,
	`counts` text,
	`detail` text,
	`error` text(1000)
);
--> statement-breakpoint
CREATE INDEX `scheduler_runs_status_idx` ON `scheduler_runs` (`status`);--> statement-breakpoint
ALTER TABLE `completion_call_orders` ADD `reason_code` text(128);--> statement-breakpoint
ALTER TABLE `completion_calls` ADD `run_id` text(64);--> statement-breakpoint
ALTER TABLE `completion_calls` ADD `finished_elsewhere_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `completion_calls_run_id_idx` ON `completion_calls` (`run_id`);
