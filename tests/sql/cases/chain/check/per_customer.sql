select customer_id, count(*) as n, sum(total) as revenue from orders where status in ('paid', 'shipped') group by customer_id
