select 'customer' as kind, id::bigint as id, name from customers
union all
select 'order', id, status from orders where id < 50
