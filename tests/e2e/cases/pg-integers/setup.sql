-- booleans and integers of every width, with NULLs and both extremes
CREATE TABLE integers (
  id int PRIMARY KEY,
  b boolean,
  i2 smallint,
  i4 integer,
  i8 bigint,
  i8_notnull bigint NOT NULL
);
INSERT INTO integers VALUES
  (1, true,  0,       0,            0,                    1),
  (2, false, -32768, -2147483648, -9223372036854775808, -9223372036854775808),
  (3, true,  32767,   2147483647,  9223372036854775807,  9223372036854775807),
  (4, NULL,  NULL,    NULL,        NULL,                 0),
  (5, false, -1,      -1,          -1,                   -1),
  (6, true,  255,     65536,       4294967296,           2147483648);
