with per_customer as (select customer_id, count(*) as n, sum(total) as revenue from orders where status in ('paid', 'shipped') group by customer_id)
select count(*) as customers, sum(revenue) as revenue, max(n) as most_orders from per_customer
