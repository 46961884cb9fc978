-- floats whose shortest round-trip text needs 7-9 (real) or 16-17 (double)
-- digits, subnormals, and large integral values PostgreSQL prints in
-- exponent form: PostgreSQL prints the shortest exact text (extra_float_digits
-- = 1), and sluice's text form is documented as the shortest round-trip one.
CREATE TABLE floats (id int PRIMARY KEY, f4 real, f8 double precision);
INSERT INTO floats VALUES
  (1, 3.4028235e38, 0.7999999999999999),
  (2, 1.1754944e-38, 5e-324),
  (3, 1.4e-45, 2.2250738585072014e-308),
  (4, 16777216, 9007199254740992),
  (5, 0.3, 1.0000000000000002);
