select id, duration::text as duration, tags::text as tags, price::numeric(20,4) as price from rentals
