-- a table without rows (one of each kind of column); its output must still
-- be a readable table with the right columns.
CREATE TABLE nothing (id bigint PRIMARY KEY, name text, amount numeric(12,2), at timestamptz, u uuid, flag boolean);
