-- High-tech industries T and T1–T5 (seed dim_industry), one row per industry.
-- Published as marts.dim_industry (model name differs from the seed's to keep ref() unambiguous).
{{ config(alias='dim_industry') }}

select * from {{ ref('dim_industry') }}
