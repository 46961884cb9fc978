-- declared types mapped, values in the storage classes a SQLite application
-- really uses: decimals as INTEGER, REAL or TEXT; timestamps as ISO text
-- (with and without a zone), unix seconds and julian days; booleans 0/1.
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  price DECIMAL(10,2),
  weight REAL,
  born DATE,
  seen_at TIMESTAMP,
  active BOOLEAN,
  photo BLOB,
  u UUID,
  doc JSON,
  qty INT
);
INSERT INTO items VALUES
  (1, 'plain', '12.34', 1.5, '2024-01-31', '2024-01-31 12:00:00', 1, x'00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', 3),
  (2, 'Zoë 🎉 北京', 36, 0.1, '1969-12-31', '2024-01-31T12:00:00.5+02:00', 0, x'', NULL, '[]', -9223372036854775808),
  (3, '', 1.99, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL),
  (4, 'unix and julian', 99999999.99, -2.5e10, 0, 1706702400, 1, x'000000', x'00112233445566778899aabbccddeeff', 'null', 9223372036854775807),
  (5, 'julian day', '-0.01', 0.0, '0001-01-01', 2460341.5, 0, NULL, NULL, '"x"', 0);
CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
INSERT INTO big SELECT i, 'row ' || i FROM n;
