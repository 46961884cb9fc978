select r.order_id, r.line_no, r.returned_at, r.reason, i.product_id, i.unit_price
from returns r join order_items i on i.order_id = r.order_id and i.line_no = r.line_no
