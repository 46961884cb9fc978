-- uuid (both extremes) and json / jsonb (json keeps its text as written,
-- jsonb is normalised by the server; JSON null is not SQL NULL)
CREATE TABLE docs (id int PRIMARY KEY, u uuid, j json, jb jsonb);
INSERT INTO docs VALUES
  (1, '00000000-0000-0000-0000-000000000000', '{}', '{}'),
  (2, 'ffffffff-ffff-ffff-ffff-ffffffffffff', '[1, 2,   3]', '[1, 2,   3]'),
  (3, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"name": "Zoë 🎉", "tags": ["a","b"], "n": 1.50}',
                                             '{"name": "Zoë 🎉", "tags": ["a","b"], "n": 1.50}'),
  (4, NULL, NULL, NULL),
  (5, '123e4567-e89b-12d3-a456-426614174000', 'null', 'null'),
  (6, '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '"a string, with \"quotes\""', '{"b": 2, "a": {"nested": [true, false, null]}}');
