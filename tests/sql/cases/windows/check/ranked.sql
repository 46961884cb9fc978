select id, status, total, rank() over (partition by status order by total desc) as rnk,
       dense_rank() over (order by status) as status_no
from orders
