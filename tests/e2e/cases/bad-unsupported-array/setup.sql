-- int[] is a Parquet LIST now; an array of a type without a mapping (inet)
-- is read as JSON by default, and refused under `unsupported: error`.
CREATE TABLE posts (id int PRIMARY KEY, title text, tags inet[]);
INSERT INTO posts VALUES (1, 'hello', '{10.0.0.1,192.168.1.1}');
