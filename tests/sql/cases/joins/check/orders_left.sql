select o.id, o.status, cu.name as customer, cu.country
from orders o left join customers cu on cu.id = o.customer_id
