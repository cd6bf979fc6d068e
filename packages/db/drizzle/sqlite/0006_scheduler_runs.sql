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
CREATE INDEX `completion_calls_run_id_idx` ON `completion_calls` (`run_id`);--> statement-breakpoint
-- Added by hand: rows stored under the old outcome names take the keys of @ocs/domain's
-- outcome table, and failures get the reason code they are grouped by.
UPDATE `completion_call_orders` SET `outcome` = CASE `outcome`
  WHEN 'not-found' THEN 'not_found'
  WHEN 'requirements-failed' THEN 'failed_requirements'
  WHEN 'notification-failed' THEN 'not_notified'
  WHEN 'update-failed' THEN CASE WHEN `reason` LIKE '%UPDATE.NOT_SUBMITTED%' THEN 'finished_elsewhere' ELSE 'not_updated' END
  WHEN 'claimed-elsewhere' THEN 'claimed_elsewhere'
  ELSE `outcome` END;
--> statement-breakpoint
UPDATE `completion_call_orders` SET `reason_code` = CASE
  WHEN `outcome` = 'not_found' THEN 'NOT_FOUND'
  WHEN `outcome` = 'failed_requirements' THEN (json_extract(`reason`, '$[0].code'))
  WHEN `outcome` = 'not_notified' THEN 'NOTIFY.' || UPPER(REPLACE((json_extract(`reason`, '$.kind')), '-', '_'))
  ELSE (json_extract(`reason`, '$.code')) END
WHERE `reason_code` IS NULL;
