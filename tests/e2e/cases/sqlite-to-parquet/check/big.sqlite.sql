select id, v from big
