CREATE TABLE posts (id int PRIMARY KEY, title text, tags int[]);
INSERT INTO posts VALUES (1, 'hello', '{1,2}');
