-- bench/orders.sql - the orders-like table of the PostgreSQL benchmarks
-- (pg_extract.sh, receipts.sh): `psql -v rows=N -f bench/orders.sql`.
--   id bigint (primary key), customer_id int (Zipf-like skew), status text,
--   amount numeric(12,2), created_at timestamptz, note text (20% NULL), uid uuid
\o /dev/null
SELECT setseed(0.42);
\o
CREATE TABLE orders (
  id bigint NOT NULL,
  customer_id int NOT NULL,
  status text NOT NULL,
  amount numeric(12,2),
  created_at timestamptz NOT NULL,
  note text,
  uid uuid NOT NULL
);
INSERT INTO orders
SELECT g,
       floor(exp(random() * ln(1000000)))::int,
       (ARRAY['delivered','delivered','delivered','shipped','paid','new','cancelled','returned'])[1 + floor(random() * 8)::int],
       round((random() * random() * 5000)::numeric, 2),
       timestamptz '2020-01-01 00:00:00+00' + g * interval '9 seconds' + random() * interval '9 seconds',
       CASE WHEN random() < 0.2 THEN NULL ELSE 'customer note ' || substr(md5(g::text), 1, 8 + g % 17) END,
       md5(g::text || 'u')::uuid
FROM generate_series(1, :rows) g;
ALTER TABLE orders ADD PRIMARY KEY (id);
VACUUM (FREEZE, ANALYZE) orders;
