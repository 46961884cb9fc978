CREATE TABLE rentals (id int PRIMARY KEY, duration interval);
INSERT INTO rentals VALUES (1, '3 days');
