select o.id, c.name as customer, o.amount, (o.amount * 2)::numeric(38,18) as doubled,
       upper(o.note) as note, o.id::bigint * 1000000000 as big
from orders o left join customers c on c.id = o.customer_id
where o.amount <> 0
