-- High-tech industries T and T1–T5 (seed ref_industries), one row per industry.
select * from {{ ref('ref_industries') }}
