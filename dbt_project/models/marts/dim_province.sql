-- The 31 provinces (seed ref_provinces), one row per province, with the paper's region belt.
select * from {{ ref('ref_provinces') }}
