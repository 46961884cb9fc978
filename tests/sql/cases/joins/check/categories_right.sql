select c.name, p.id as product_id
from products p right join categories c on c.id = p.category_id
