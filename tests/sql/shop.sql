-- The shop the SQL model cases compute from (each case's setup.sql includes
-- it with \ir ../../shop.sql): customers with NULL countries, products, a
-- small category table (the broadcast side of a join), orders with NULL
-- customer ids, order items keyed by (order_id, line_no), and returns keyed
-- by the same two columns (a multi-key join).
CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO categories VALUES (1, 'books'), (2, 'games'), (3, 'tools'), (4, 'empty shelf');
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, country char(2), created_at timestamptz);
INSERT INTO customers
  SELECT g, 'customer ' || g, (ARRAY['DE','FR','JP','BR',NULL])[1 + g % 5],
         timestamptz '2020-01-01 00:00:00+00' + g * interval '37 minutes 11.5 seconds'
  FROM generate_series(1, 300) g;
CREATE TABLE products (id int PRIMARY KEY, name text, category_id int, price numeric(10,2));
INSERT INTO products SELECT g, 'product ' || g, CASE WHEN g % 11 = 0 THEN NULL ELSE 1 + g % 3 END,
                            (g * 137 % 10000) / 100.0
  FROM generate_series(1, 60) g;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, ordered_at timestamp, status text, total numeric(12,2));
INSERT INTO orders
  SELECT g, CASE WHEN g % 17 = 0 THEN NULL ELSE 1 + (g * 7919) % 320 END,
         timestamp '2023-01-01' + g * interval '97 minutes 13 seconds',
         (ARRAY['new','paid','shipped','cancelled'])[1 + g % 4], (g * 31 % 100000) / 100.0
  FROM generate_series(1, 4000) g;
CREATE TABLE order_items (order_id bigint, line_no smallint, product_id int, quantity int, unit_price numeric(10,2),
  PRIMARY KEY (order_id, line_no));
INSERT INTO order_items
  SELECT o, l, CASE WHEN (o + l) % 23 = 0 THEN NULL ELSE 1 + (o * 13 + l) % 64 END, 1 + (o + l) % 5,
         ((o * 13 + l) % 60 * 137 % 10000) / 100.0
  FROM generate_series(1, 4000) o, generate_series(1, 3) l WHERE l <= 1 + o % 3;
CREATE TABLE returns (order_id bigint, line_no smallint, returned_at date, reason text);
INSERT INTO returns
  SELECT o, l, date '2023-02-01' + (o % 300), (ARRAY['broken','late',NULL])[1 + o % 3]
  FROM generate_series(1, 4000, 7) o, generate_series(1, 2) l WHERE l <= 1 + o % 3;
