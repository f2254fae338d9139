-- The 31 provinces (seed dim_province), one row per province, with the paper's region belt.
-- Published as marts.dim_province (model name differs from the seed's to keep ref() unambiguous).
{{ config(alias='dim_province') }}

select * from {{ ref('dim_province') }}
