-- `query:` instead of `table:`: a join with computed columns (a numeric
-- expression without typmod lands as DECIMAL(38,18)), a WHERE clause, NULLs
-- from an outer join.
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Chloé');
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric(10,2), note text);
INSERT INTO orders VALUES (10, 1, 10.50, 'first'), (11, 1, 2.25, NULL), (12, 2, 99.99, 'big'),
  (13, NULL, 1.00, 'anonymous'), (14, 3, 0.10, 'small'), (15, 2, -5.00, 'refund');
