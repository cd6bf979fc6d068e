CREATE TABLE `completion_run_orders` (
	`run_id` varchar(64) NOT NULL,
	`order_id` int NOT NULL,
	`outcome` varchar(32) NOT NULL,
	`reason` longtext,
	CONSTRAINT `completion_run_orders_run_id_order_id_pk` PRIMARY KEY(`run_id`,`order_id`)
);
--> statement-breakpoint
CREATE TABLE `completion_runs` (
	`id` varchar(64) NOT NULL,
	`started_at` datetime(3) NOT NULL,
	`finished_at` datetime(3) NOT NULL,
	`requested_count` int NOT NULL,
	`outcome` varchar(32) NOT NULL,
	`completed_count` int NOT NULL,
	`failed_count` int NOT NULL,
	`response` longtext NOT NULL,
	CONSTRAINT `completion_runs_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
ALTER TABLE `completion_run_orders` ADD CONSTRAINT `completion_run_orders_run_id_completion_runs_id_fk` FOREIGN KEY (`run_id`) REFERENCES `completion_runs`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `completion_run_orders_order_id_idx` ON `completion_run_orders` (`order_id`);