/**
 * An existing installation of the original system already has its four tables and seed data.
 * Migrating it must add this service's tables and change nothing of what is there.
 */
import { createClient } from '@libsql/client';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OcsDatabase, openDatabase } from '../src/client.js';
import {
  checkMySqlTestServer,
  createEmbeddedTestDatabase,
  createMySqlTestDatabase,
  type TestDatabase,
} from '../src/testing/index.js';

const server = await checkMySqlTestServer();

/** Midnight-free, whole-second UTC dates, written the way the original stored them. */
const now = new Date('2026-06-15T08:30:00.000Z');
const monthsAgo = (months: number) => {
  const date = new Date(now);
  date.setUTCMonth(date.getUTCMonth() - months);
  return date;
};
const sqlDate = (date: Date) => date.toISOString().slice(0, 19).replace('T', ' ');

// The original's schema (EF Core on MySQL: FK names, datetime(6), utf8mb4) and seed data.
const originalSchemaAndSeed = [
  `CREATE TABLE ORDER_STATES (
     Id int NOT NULL AUTO_INCREMENT,
     OrderState varchar(50) NOT NULL,
     CONSTRAINT PK_ORDER_STATES PRIMARY KEY (Id)
   ) CHARACTER SET=utf8mb4`,
  `CREATE TABLE ORDERS (
     Id int NOT NULL AUTO_INCREMENT,
     OrderDate datetime(6) NOT NULL,
     OrderStateId int NOT NULL,
     CONSTRAINT PK_ORDERS PRIMARY KEY (Id),
     CONSTRAINT FK_ORDERS_ORDER_STATES_OrderStateId FOREIGN KEY (OrderStateId)
       REFERENCES ORDER_STATES (Id) ON DELETE CASCADE
   ) CHARACTER SET=utf8mb4`,
  `CREATE TABLE PRODUCTS (
     Id int NOT NULL AUTO_INCREMENT,
     ProductName varchar(200) NOT NULL,
     CONSTRAINT PK_PRODUCTS PRIMARY KEY (Id)
   ) CHARACTER SET=utf8mb4`,
  `CREATE TABLE ORDER_LINES (
     Id int NOT NULL AUTO_INCREMENT,
     OrderId int NOT NULL,
     ProductId int NOT NULL,
     OrderedQuantity int NOT NULL,
     DeliveredQuantity int NULL,
     CONSTRAINT PK_ORDER_LINES PRIMARY KEY (Id),
     CONSTRAINT FK_ORDER_LINES_ORDERS_OrderId FOREIGN KEY (OrderId) REFERENCES ORDERS (Id) ON DELETE CASCADE,
     CONSTRAINT FK_ORDER_LINES_PRODUCTS_ProductId FOREIGN KEY (ProductId) REFERENCES PRODUCTS (Id) ON DELETE CASCADE
   ) CHARACTER SET=utf8mb4`,
  `INSERT INTO ORDER_STATES (Id, OrderState) VALUES (1, 'SUBMITTED'), (2, 'FINISHED')`,
  `INSERT INTO PRODUCTS (Id, ProductName) VALUES (1, 'Apple'), (2, 'Banana'), (3, 'Cherry'), (4, 'Date'), (5, 'Elderberry')`,
  `INSERT INTO ORDERS (Id, OrderDate, OrderStateId) VALUES
     (1, '${sqlDate(monthsAgo(7))}', 1), (2, '${sqlDate(monthsAgo(7))}', 1),
     (3, '${sqlDate(monthsAgo(10))}', 1), (4, '${sqlDate(monthsAgo(1))}', 1),
     (5, '${sqlDate(monthsAgo(5))}', 1)`,
  `INSERT INTO ORDER_LINES (Id, OrderId, ProductId, OrderedQuantity, DeliveredQuantity) VALUES
     (1, 1, 1, 10, 5), (2, 1, 2, 20, 20), (3, 2, 3, 25, 25), (4, 2, 4, 20, 20),
     (5, 3, 5, 15, 15), (6, 3, 1, 50, 50), (7, 4, 2, 30, 30), (8, 4, 3, 25, 25),
     (9, 5, 4, 30, 10), (10, 5, 5, 25, 25)`,
];

describe.skipIf(!server.available)('migrating an existing installation (MariaDB)', () => {
  let database: TestDatabase;
  let db: OcsDatabase;

  beforeAll(async () => {
    database = await createMySqlTestDatabase();
    const raw = await createConnection({ uri: database.url });
    try {
      for (const statement of originalSchemaAndSeed) await raw.query(statement);
    } finally {
      await raw.end();
    }
    db = openDatabase({ url: database.url });
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('adds the service tables and keeps the original rows as they were', async () => {
    await db.migrate();
    await db.migrate();

    const raw = await createConnection({ uri: database.url });
    try {
      const [states] = await raw.query('SELECT Id, OrderState FROM ORDER_STATES ORDER BY Id');
      expect(states).toEqual([
        { Id: 1, OrderState: 'SUBMITTED' },
        { Id: 2, OrderState: 'FINISHED' },
      ]);
      const [tables] = await raw.query(
        'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME',
      );
      expect((tables as { name: string }[]).map((t) => t.name).sort()).toEqual([
        'ORDERS',
        'ORDER_LINES',
        'ORDER_STATES',
        'PRODUCTS',
        '__drizzle_migrations',
        'completion_call_orders',
        'completion_calls',
        'completion_ledger',
        'leases',
        // The guard of the migrations themselves (one migrator at a time).
        'ocs_migration_lock',
        'scheduler_instances',
        'scheduler_runs',
        'service_settings',
      ]);
      const [orderColumns] = await raw.query(
        "SELECT COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ORDERS' AND COLUMN_NAME = 'OrderDate'",
      );
      expect(orderColumns).toEqual([{ type: 'datetime(6)' }]);
      const [foreignKeys] = await raw.query(
        'SELECT CONSTRAINT_NAME AS name FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME IN (?) ORDER BY CONSTRAINT_NAME',
        [['ORDERS', 'ORDER_LINES']],
      );
      // Only the original's own foreign keys: the migration added none beside them.
      expect((foreignKeys as { name: string }[]).map((fk) => fk.name).sort()).toEqual([
        'FK_ORDERS_ORDER_STATES_OrderStateId',
        'FK_ORDER_LINES_ORDERS_OrderId',
        'FK_ORDER_LINES_PRODUCTS_ProductId',
      ]);
    } finally {
      await raw.end();
    }
  });

  it('reads the five original orders with their lines, and the demo seed leaves them alone', async () => {
    expect(await db.seedDemo(now)).toEqual({ inserted: 0 });
    const orders = await db.orders.findByIds([1, 2, 3, 4, 5]);
    expect(orders).toEqual(
      [
        {
          id: 1,
          months: 7,
          lines: [
            [1, 1, 10, 5],
            [2, 2, 20, 20],
          ],
        },
        {
          id: 2,
          months: 7,
          lines: [
            [3, 3, 25, 25],
            [4, 4, 20, 20],
          ],
        },
        {
          id: 3,
          months: 10,
          lines: [
            [5, 5, 15, 15],
            [6, 1, 50, 50],
          ],
        },
        {
          id: 4,
          months: 1,
          lines: [
            [7, 2, 30, 30],
            [8, 3, 25, 25],
          ],
        },
        {
          id: 5,
          months: 5,
          lines: [
            [9, 4, 30, 10],
            [10, 5, 25, 25],
          ],
        },
      ].map(({ id, months, lines }) => ({
        id,
        orderDate: monthsAgo(months),
        state: 'SUBMITTED',
        lines: lines.map(([lineId, productId, orderedQuantity, deliveredQuantity]) => ({
          id: lineId,
          productId,
          orderedQuantity,
          deliveredQuantity,
        })),
      })),
    );
  });

  it('finishes an original order the way the original did', async () => {
    expect(await db.orders.markFinished([2, 3], now)).toEqual({ updatedIds: [2, 3] });
    const page = await db.orders.findPendingIds({ limit: 10 });
    expect(page).toEqual({ ids: [1, 4, 5], nextCursor: null });
  });
});

describe('migrating an embedded database that already has the original tables', () => {
  let database: TestDatabase;
  let db: OcsDatabase;

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('keeps the rows, adds no second ORDER_STATES row and reads the orders', async () => {
    database = await createEmbeddedTestDatabase();
    const raw = createClient({ url: database.url });
    try {
      await raw.executeMultiple(`
        CREATE TABLE ORDER_STATES (Id integer PRIMARY KEY AUTOINCREMENT NOT NULL, OrderState text NOT NULL);
        CREATE TABLE ORDERS (Id integer PRIMARY KEY AUTOINCREMENT NOT NULL, OrderDate integer NOT NULL,
          OrderStateId integer NOT NULL REFERENCES ORDER_STATES (Id));
        CREATE TABLE PRODUCTS (Id integer PRIMARY KEY AUTOINCREMENT NOT NULL, ProductName text NOT NULL);
        CREATE TABLE ORDER_LINES (Id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
          OrderId integer NOT NULL REFERENCES ORDERS (Id), ProductId integer NOT NULL REFERENCES PRODUCTS (Id),
          OrderedQuantity integer NOT NULL, DeliveredQuantity integer);
        INSERT INTO ORDER_STATES (Id, OrderState) VALUES (1, 'SUBMITTED'), (2, 'FINISHED');
        INSERT INTO PRODUCTS (Id, ProductName) VALUES (1, 'Apple'), (2, 'Banana');
        INSERT INTO ORDERS (Id, OrderDate, OrderStateId) VALUES (1, ${monthsAgo(7).getTime()}, 1), (2, ${monthsAgo(1).getTime()}, 2);
        INSERT INTO ORDER_LINES (OrderId, ProductId, OrderedQuantity, DeliveredQuantity) VALUES (1, 1, 10, 5), (1, 2, 20, NULL);
      `);
      db = openDatabase({ url: database.url });
      await db.migrate();
      await db.migrate();

      const states = await raw.execute('SELECT Id, OrderState FROM ORDER_STATES ORDER BY Id');
      expect(states.rows.map((row) => [row.Id, row.OrderState])).toEqual([
        [1, 'SUBMITTED'],
        [2, 'FINISHED'],
      ]);
    } finally {
      raw.close();
    }
    expect(await db.orders.findByIds([1, 2])).toEqual([
      {
        id: 1,
        orderDate: monthsAgo(7),
        state: 'SUBMITTED',
        lines: [
          { id: 1, productId: 1, orderedQuantity: 10, deliveredQuantity: 5 },
          { id: 2, productId: 2, orderedQuantity: 20, deliveredQuantity: null },
        ],
      },
      { id: 2, orderDate: monthsAgo(1), state: 'FINISHED', lines: [] },
    ]);
  });
});
