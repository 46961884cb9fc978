CREATE TABLE prices (id int PRIMARY KEY, p numeric(10,2));
INSERT INTO prices VALUES (1, 1.5), (2, 'NaN');
