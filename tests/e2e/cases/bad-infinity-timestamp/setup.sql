CREATE TABLE events (id int PRIMARY KEY, at timestamptz);
INSERT INTO events VALUES (1, now()), (2, 'infinity');
