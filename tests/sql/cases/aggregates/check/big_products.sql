select product_id, sum(quantity) as qty, avg(quantity)::decimal(12,4) as avg_qty,
       sum(quantity * unit_price) as amount
from order_items
group by product_id
having sum(quantity) > 400
