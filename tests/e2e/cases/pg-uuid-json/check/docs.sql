select * from docs
