select o.customer_id, count(*) as n, count(distinct o.status) as statuses, sum(o.total) as revenue,
       min(o.total) as smallest, max(o.total) as largest, min(o.ordered_at) as first_order,
       max(o.status) as last_status
from orders o group by o.customer_id
