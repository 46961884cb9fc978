-- bytea: empty, zero bytes, every byte value, NULL; and (table big_blobs,
-- compared with the source only) values of 100 KiB and 3 MiB, larger than a
-- Parquet page.
CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
INSERT INTO blobs VALUES
  (1, '\x'),
  (2, '\x00'),
  (3, '\x0000000000'),
  (4, '\x00ff00fe7f80'),
  (5, NULL),
  (6, (SELECT string_agg(set_byte('\x00'::bytea, 0, g), ''::bytea ORDER BY g) FROM generate_series(0, 255) g)),
  (7, convert_to('Zoë 🎉', 'UTF8'));
CREATE TABLE big_blobs (id int PRIMARY KEY, b bytea);
INSERT INTO big_blobs VALUES
  (1, decode(repeat('00ff10', 34000), 'hex')),
  (2, NULL),
  (3, decode(repeat('0123456789abcdef', 3 * 131072), 'hex'));
