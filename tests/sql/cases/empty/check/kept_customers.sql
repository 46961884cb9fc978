select c.id, count(o.id) as orders from customers c left join no_orders o on o.customer_id = c.id group by c.id
