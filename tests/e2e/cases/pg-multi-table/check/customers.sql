select * from customers
