select * from floats
