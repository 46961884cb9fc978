\ir ../../shop.sql
