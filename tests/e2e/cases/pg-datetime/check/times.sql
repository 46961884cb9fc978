select * from times
