-- numeric without typmod lands as DECIMAL(38,18): 19 fractional digits do not fit
CREATE TABLE measures (id int PRIMARY KEY, v numeric);
INSERT INTO measures VALUES (1, 1.5), (2, 0.1234567890123456789);
