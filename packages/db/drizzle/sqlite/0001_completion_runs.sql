CREATE TABLE `completion_run_orders` (
	`run_id` text(64) NOT NULL,
	`order_id` integer NOT NULL,
	`outcome` text(32) NOT NULL,
	`reason` text,
	PRIMARY KEY(`run_id`, `order_id`),
	FOREIGN KEY (`run_id`) REFERENCES `completion_runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `completion_run_orders_order_id_idx` ON `completion_run_orders` (`order_id`);--> statement-breakpoint
CREATE TABLE `completion_runs` (
	`id` text(64) PRIMARY KEY NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	`requested_count` integer NOT NULL,
	`outcome` text(32) NOT NULL,
	`completed_count` integer NOT NULL,
	`failed_count` integer NOT NULL,
	`response` text NOT NULL
);
