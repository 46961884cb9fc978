\ir ../../shop.sql
CREATE TABLE no_orders (id bigint, customer_id int, total numeric(12,2));
