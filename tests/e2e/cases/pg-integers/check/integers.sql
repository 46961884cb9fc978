select id, b::text as b, i2, i4, i8, i8_notnull from integers -- booleans print as true/false
