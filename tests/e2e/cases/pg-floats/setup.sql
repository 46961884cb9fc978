-- real and double precision: ordinary values, signed zero, infinities, NaN, NULL
CREATE TABLE floats (id int PRIMARY KEY, f4 real, f8 double precision);
INSERT INTO floats VALUES
  (1, 0, 0),
  (2, '-0', '-0'),
  (3, 1.5, 1.5),
  (4, 0.1, 0.1),
  (5, -3.25, -1e-30),
  (6, 1e30, 1e+300),
  (7, 'Infinity', 'Infinity'),
  (8, '-Infinity', '-Infinity'),
  (9, 'NaN', 'NaN'),
  (10, NULL, NULL),
  (11, 123456, 123456789.125),
  (12, 65504, 0.30000000000000004),
  (13, 1e-30, 1.7976931348623157e308);
