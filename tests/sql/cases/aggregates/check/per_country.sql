select c.country, count(c.id) as customers, count(o.id) as orders,
       string_agg(distinct c.name, ', ' order by c.name) filter (where c.id < 40) as some_names
from customers c left join orders o on o.customer_id = c.id
group by c.country
