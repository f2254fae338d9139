-- Mechanism (moderator) variables: one row per province × year × industry of the panel grid (tech
-- and dim vary by industry, deve and know are province-level).
with spine as (
    select * from {{ ref('int_panel_spine') }}
),

province_values as (
    select * from {{ ref('int_province_year_values_pivoted') }}
),

industry_values as (
    select * from {{ ref('int_province_industry_values_pivoted') }}
),

final as (
    select
        spine.province_code,
        spine.year,
        spine.industry_code,
        province_values.etdz_output_yuan,
        province_values.gdp_yuan,
        province_values.citations,
        province_values.papers,
        industry_values.invention_patents,
        industry_values.ht_enterprises,
        province_values.industrial_enterprises,
        province_values.etdz_output_yuan / nullif(province_values.gdp_yuan, 0) as deve,
        province_values.citations / nullif(province_values.papers, 0) as know,
        industry_values.invention_patents as tech,
        industry_values.ht_enterprises
        / nullif(province_values.industrial_enterprises, 0) as dim
    from spine
    left join province_values
        on
            spine.province_code = province_values.province_code
            and spine.year = province_values.year
    left join industry_values
        on
            spine.province_code = industry_values.province_code
            and spine.year = industry_values.year
            and spine.industry_code = industry_values.industry_code
)

select * from final
