-- PostgreSQL into a csv target: the text forms of every kind of value,
-- quoting (comma, quote, newline), NULL versus the empty string, partitions.
CREATE TABLE mixed (id bigint PRIMARY KEY, b boolean, n numeric(12,3), t text, by bytea, ts timestamptz, d date,
                    u uuid, j jsonb, f8 double precision);
INSERT INTO mixed
  SELECT g, g % 3 = 0, g * 1.001, CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'a,b "c"' WHEN 3 THEN E'line\nbreak' ELSE 'Zoë 🎉' END,
         CASE WHEN g % 4 = 0 THEN NULL ELSE int8send(g) END,
         timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour 1.5 seconds',
         date '1960-01-01' + g, md5(g::text)::uuid, jsonb_build_object('g', g, 's', 'x,y'), g / 8.0
  FROM generate_series(1, 5000) g;
