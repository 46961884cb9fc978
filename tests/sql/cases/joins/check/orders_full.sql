select o.id as order_id, cu.id as customer_id, cu.name
from orders o full join customers cu on cu.id = o.customer_id
