select * from texts
