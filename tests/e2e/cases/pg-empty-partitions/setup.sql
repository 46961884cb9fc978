-- a partition key with big gaps: 16 equal ranges over [1, 2^40] leave most of
-- them empty; NULL keys need their own task. Every row must arrive once.
CREATE TABLE gaps (id bigint, label text);
INSERT INTO gaps SELECT g, 'low ' || g FROM generate_series(1, 5) g;
INSERT INTO gaps SELECT g, 'mid ' || g FROM generate_series(1000000000, 1000000004) g;
INSERT INTO gaps VALUES (1099511627776, 'top'), (NULL, 'null key 1'), (NULL, 'null key 2'), (-7, 'negative');
