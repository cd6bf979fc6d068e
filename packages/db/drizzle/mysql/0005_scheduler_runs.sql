CREATE TABLE `scheduler_instances` (
	`instance` varchar(128) NOT NULL,
	`mode` varchar(16) NOT NULL,
	`cron` varchar(128),
	`timezone` varchar(64),
	`next_run_at` bigint,
	`heartbeat_at` bigint NOT NULL,
	`heartbeat_every_ms` int NOT NULL,
	`started_at` bigint NOT NULL,
	CONSTRAINT `scheduler_instances_instance` PRIMARY KEY(`instance`)
);
--> statement-breakpoint
CREATE TABLE `scheduler_runs` (
	`id` varchar(64) NOT NULL,
	`triggered_by` varchar(16) NOT NULL,
	`status` varchar(32) NOT NULL,
	`requested_at` bigint NOT NULL,
	`started_at` bigint,
	`finished_at` bigint,
	`updated_at` bigint NOT NULL,
	`holder` varchar(128),
	`retry_of` varchar(64),
	`retry_outcome` varchar(32),
	`retry_reason` varchar(128),
	`expected_count` int,
	`pending_count` int NOT NULL DEFAULT 0,
	`settled_count` int NOT NULL DEFAULT 0,
	`counts` longtext,
	`detail` longtext,
	`error` varchar(1000),
	CONSTRAINT `scheduler_runs_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
ALTER TABLE `completion_call_orders` ADD `reason_code` varchar(128);--> statement-breakpoint
ALTER TABLE `completion_calls` ADD `run_id` varchar(64);--> statement-breakpoint
ALTER TABLE `completion_calls` ADD `finished_elsewhere_count` int DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `scheduler_runs_status_idx` ON `scheduler_runs` (`status`);--> statement-breakpoint
CREATE INDEX `completion_calls_run_id_idx` ON `completion_calls` (`run_id`);
