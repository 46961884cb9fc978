select id, customer_id, ordered_at, total from (
  select o.*, row_number() over (partition by customer_id order by ordered_at desc, id desc) as rn
  from orders o where customer_id is not null) x
where rn = 1
