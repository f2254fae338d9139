-- The complete panel grid: one row per province × year × industry (31 × years × 6), years from the
-- vars panel_first_year … panel_last_year (default 2006–2015, the paper's sample).
with provinces as (
    select province_code from {{ ref('ref_provinces') }}
),

years as (
    select cast(generate_series as integer) as year
    from
        generate_series(
            {{ var('panel_first_year', 2006) }}, {{ var('panel_last_year', 2015) }}
        )
),

industries as (
    select industry_code from {{ ref('ref_industries') }}
),

final as (
    select
        provinces.province_code,
        years.year,
        industries.industry_code
    from provinces
    cross join years
    cross join industries
)

select * from final
