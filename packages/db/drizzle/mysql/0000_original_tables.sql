-- Edited by hand after drizzle-kit generate (see README "Migrations"): an existing
-- installation of the original system already has these four tables and their two
-- ORDER_STATES rows, so every statement here is a no-op on it and creates them on an empty
-- database. Foreign keys are declared inside CREATE TABLE so they are only added together
-- with a table this migration creates.
CREATE TABLE IF NOT EXISTS `ORDER_STATES` (
	`Id` int AUTO_INCREMENT NOT NULL,
	`OrderState` varchar(50) NOT NULL,
	CONSTRAINT `ORDER_STATES_Id` PRIMARY KEY(`Id`)
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `ORDERS` (
	`Id` int AUTO_INCREMENT NOT NULL,
	`OrderDate` datetime NOT NULL,
	`OrderStateId` int NOT NULL,
	CONSTRAINT `ORDERS_Id` PRIMARY KEY(`Id`),
	CONSTRAINT `ORDERS_OrderStateId_ORDER_STATES_Id_fk` FOREIGN KEY (`OrderStateId`) REFERENCES `ORDER_STATES`(`Id`) ON DELETE no action ON UPDATE no action
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `PRODUCTS` (
	`Id` int AUTO_INCREMENT NOT NULL,
	`ProductName` varchar(200) NOT NULL,
	CONSTRAINT `PRODUCTS_Id` PRIMARY KEY(`Id`)
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `ORDER_LINES` (
	`Id` int AUTO_INCREMENT NOT NULL,
	`OrderId` int NOT NULL,
	`ProductId` int NOT NULL,
	`OrderedQuantity` int NOT NULL,
	`DeliveredQuantity` int,
	CONSTRAINT `ORDER_LINES_Id` PRIMARY KEY(`Id`),
	CONSTRAINT `ORDER_LINES_OrderId_ORDERS_Id_fk` FOREIGN KEY (`OrderId`) REFERENCES `ORDERS`(`Id`) ON DELETE no action ON UPDATE no action,
	CONSTRAINT `ORDER_LINES_ProductId_PRODUCTS_Id_fk` FOREIGN KEY (`ProductId`) REFERENCES `PRODUCTS`(`Id`) ON DELETE no action ON UPDATE no action
);
--> statement-breakpoint
INSERT IGNORE INTO `ORDER_STATES` (`Id`, `OrderState`)
SELECT 1, 'SUBMITTED' FROM DUAL
WHERE NOT EXISTS (SELECT 1 FROM `ORDER_STATES` WHERE `OrderState` = 'SUBMITTED');
--> statement-breakpoint
INSERT IGNORE INTO `ORDER_STATES` (`Id`, `OrderState`)
SELECT 2, 'FINISHED' FROM DUAL
WHERE NOT EXISTS (SELECT 1 FROM `ORDER_STATES` WHERE `OrderState` = 'FINISHED');
