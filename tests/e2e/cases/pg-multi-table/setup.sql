-- a small star schema: four tables of one job, run at the same time on four
-- workers, two of them partitioned.
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, country char(2), created_at timestamptz);
INSERT INTO customers
  SELECT g, 'customer ' || g || CASE WHEN g % 7 = 0 THEN ' Zoë' ELSE '' END,
         (ARRAY['DE','FR','JP','BR',NULL])[1 + g % 5],
         timestamptz '2020-01-01 00:00:00+00' + g * interval '37 minutes 11.5 seconds'
  FROM generate_series(1, 2000) g;
CREATE TABLE products (id int PRIMARY KEY, name text, price numeric(10,2), weight real);
INSERT INTO products SELECT g, 'product ' || g, (g * 137 % 100000) / 100.0, CASE WHEN g % 3 = 0 THEN NULL ELSE g / 4.0 END
  FROM generate_series(1, 500) g;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, ordered_at timestamp, status text, total numeric(12,2));
INSERT INTO orders
  SELECT g, 1 + (g * 7919) % 2000, timestamp '2023-01-01' + g * interval '17 minutes',
         (ARRAY['new','paid','shipped','cancelled'])[1 + g % 4], (g * 31 % 1000000) / 100.0
  FROM generate_series(1, 30000) g;
CREATE TABLE order_items (order_id bigint, line_no smallint, product_id int, quantity int, unit_price numeric(10,2),
  PRIMARY KEY (order_id, line_no));
INSERT INTO order_items
  SELECT o, l, 1 + (o * 13 + l) % 500, 1 + (o + l) % 5, ((o * 13 + l) % 500 * 137 % 100000) / 100.0
  FROM generate_series(1, 30000) o, generate_series(1, 3) l WHERE l <= 1 + o % 3;
