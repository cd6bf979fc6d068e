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
  WHEN `outcome` = 'failed_requirements' THEN JSON_UNQUOTE(JSON_EXTRACT(`reason`, '$[0].code'))
  WHEN `outcome` = 'not_notified' THEN CONCAT('NOTIFY.', UPPER(REPLACE(JSON_UNQUOTE(JSON_EXTRACT(`reason`, '$.kind')), '-', '_')))
  ELSE JSON_UNQUOTE(JSON_EXTRACT(`reason`, '$.code')) END
WHERE `reason_code` IS NULL;
