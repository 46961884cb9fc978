select c.id, c.name, o.total from customers c join no_orders o on o.customer_id = c.id
