-- text, varchar, char(n) and enum: unicode (accents, CJK, emoji, right-to-left),
-- the empty string versus NULL, CSV-hostile characters, a long value.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy 😀');
CREATE TABLE texts (
  id int PRIMARY KEY,
  t text,
  vc varchar(20),
  ch char(5),
  m mood
);
INSERT INTO texts VALUES
  (1, 'hello', 'world', 'ab', 'ok'),
  (2, '', '', '', 'sad'),
  (3, NULL, NULL, NULL, NULL),
  (4, 'Zoë Ångström-Łukasiewicz', 'Søren Kierkegård', 'é', 'happy 😀'),
  (5, '北京市朝阳区 東京都 서울', '日本語テキスト', '中文', 'ok'),
  (6, '🎉🚀👩‍👩‍👧 emoji', '🦄', '🙂', 'ok'),
  (7, 'مرحبا بالعالم', 'שלום', 'Ω', 'ok'),
  (8, E'line1\nline2\r\nline3', E'tab\there', E'a\\b', 'ok'),
  (9, 'comma, "double quotes" and ''single''', '"', ',', 'ok'),
  (10, repeat('0123456789', 1000), 'NULL', 'null', 'ok'),
  (11, ' leading and trailing spaces ', ' ', '  ', 'ok');
