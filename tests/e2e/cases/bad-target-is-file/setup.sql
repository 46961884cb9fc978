CREATE TABLE orders (id int PRIMARY KEY);
INSERT INTO orders VALUES (1), (2);
