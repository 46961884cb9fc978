-- the documented remedies: `columns:` overrides a type (cast in the select
-- list), here an interval and an int[] to string and a numeric without
-- typmod to decimal(20,4); a domain maps as its base type.
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
CREATE TABLE rentals (id positive_int PRIMARY KEY, duration interval, tags int[], price numeric);
INSERT INTO rentals VALUES (1, '3 days 04:00:00', '{1,2,3}', 12.5), (2, NULL, '{}', NULL), (3, '-1 mons', NULL, 0.0001);
