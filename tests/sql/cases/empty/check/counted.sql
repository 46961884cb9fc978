select count(*) as n, sum(total) as s from no_orders
