select id,
       case when total >= 500 then 'large' when total >= 100 then 'medium' else 'small' end as size,
       coalesce(customer_id, -1) as customer,
       cast(total as integer) as total_int,
       cast(id as varchar) || '-' || status as label,
       cast(date_trunc('month', ordered_at) as date) as month,
       extract(year from ordered_at) as year,
       extract(dow from ordered_at) as dow,
       cast(ordered_at as date) as day,
       total * 2 as doubled,
       abs(total - 500) as distance
from orders
