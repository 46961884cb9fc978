select i.order_id, i.line_no, p.name as product, c.name as category, i.quantity * i.unit_price as amount
from order_items i
join products p on p.id = i.product_id
join categories c on c.id = p.category_id
