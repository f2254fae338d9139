-- Control variables of eqs (1)–(4): one row per province × year × industry of the panel grid (size
-- varies by industry, the others are province-level and repeat across industries). NULL where an
-- ingredient is missing or a denominator is zero. Read by fct_estimation_panel.
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
        industry_values.ht_enterprises,
        province_values.industrial_enterprises,
        province_values.gdp_yuan,
        province_values.population_persons,
        province_values.fie_trade_usd,
        province_values.usd_rate_yuan_per_usd,
        province_values.fie_trade_usd
        * province_values.usd_rate_yuan_per_usd as fie_trade_yuan,
        province_values.road_area_m2,
        province_values.students,
        province_values.teachers,
        industry_values.ht_enterprises
        / nullif(province_values.industrial_enterprises, 0) as size,
        province_values.gdp_yuan
        / nullif(province_values.population_persons, 0) as pgdp,
        province_values.fie_trade_usd
        * province_values.usd_rate_yuan_per_usd
        / nullif(province_values.gdp_yuan, 0) as open,
        province_values.road_area_m2
        / nullif(province_values.population_persons, 0) as infr,
        province_values.students / nullif(province_values.teachers, 0) as educ
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
