-- a text in an INTEGER column (SQLite keeps it): an error naming the column
-- and the rowid, not a silent coercion
CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);
INSERT INTO t VALUES (1, 10), (2, 'abc'), (3, 30);
