with per_customer as (select customer_id, count(*) as n, sum(total) as revenue from orders where status in ('paid', 'shipped') group by customer_id)
select p.customer_id, c.name, p.revenue, rank() over (order by p.revenue desc, p.customer_id) as position
from per_customer p join customers c on c.id = p.customer_id
