select * from nothing
