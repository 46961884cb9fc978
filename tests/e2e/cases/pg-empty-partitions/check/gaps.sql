select * from gaps
