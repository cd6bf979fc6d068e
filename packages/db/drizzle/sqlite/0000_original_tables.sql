-- Edited by hand after drizzle-kit generate (see README "Migrations"): IF NOT EXISTS and
-- INSERT OR IGNORE keep this first migration a no-op on a database that already has the
-- original four tables and their two ORDER_STATES rows, like the MySQL one.
CREATE TABLE IF NOT EXISTS `ORDER_STATES` (
	`Id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`OrderState` text(50) NOT NULL
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `ORDERS` (
	`Id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`OrderDate` integer NOT NULL,
	`OrderStateId` integer NOT NULL,
	FOREIGN KEY (`OrderStateId`) REFERENCES `ORDER_STATES`(`Id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `PRODUCTS` (
	`Id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ProductName` text(200) NOT NULL
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `ORDER_LINES` (
	`Id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`OrderId` integer NOT NULL,
	`ProductId` integer NOT NULL,
	`OrderedQuantity` integer NOT NULL,
	`DeliveredQuantity` integer,
	FOREIGN KEY (`OrderId`) REFERENCES `ORDERS`(`Id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`ProductId`) REFERENCES `PRODUCTS`(`Id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT OR IGNORE INTO `ORDER_STATES` (`Id`, `OrderState`)
SELECT 1, 'SUBMITTED'
WHERE NOT EXISTS (SELECT 1 FROM `ORDER_STATES` WHERE `OrderState` = 'SUBMITTED');
--> statement-breakpoint
INSERT OR IGNORE INTO `ORDER_STATES` (`Id`, `OrderState`)
SELECT 2, 'FINISHED'
WHERE NOT EXISTS (SELECT 1 FROM `ORDER_STATES` WHERE `OrderState` = 'FINISHED');
