select id, customer_id, total,
       sum(total) over (partition by customer_id order by ordered_at, id rows between unbounded preceding and current row) as running_total,
       count(*) over (partition by customer_id) as orders_of_customer
from orders
