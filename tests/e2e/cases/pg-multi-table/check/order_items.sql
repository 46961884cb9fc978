select * from order_items
