-- numeric without a typmod lands as DECIMAL(38,18)
select id, n9_3, n10_2, n18_4, n38_0, n38_10, n_any::numeric(38,18) as n_any from numerics
