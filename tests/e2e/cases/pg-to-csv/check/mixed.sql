select id, b::text as b, n, t, by, ts, d, u, j, f8 from mixed
