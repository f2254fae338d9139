-- Province-level yearbook quantities side by side, one row per province × year that has any, in the
-- standard units (元, 人, 平方米, 美元, counts). The annual average RMB/USD rate is national.

with panel as (
    select * from {{ ref('int_province_indicators_stacked') }}
    where industry_code is null
),

exchange_rate as (
    select
        data_year as year,
        value_std as usd_rate_yuan_per_usd
    from {{ ref('stg_csy__exchange_rate') }}
    where indicator = 'usd_rate' and value_std is not null
),

pivoted as (
    select
        province_code,
        year,
        max(value_std) filter (
            where table_id = 'csy_gdp' and indicator = 'gdp'
        ) as gdp_yuan,
        max(value_std) filter (
            where table_id = 'csy_population' and indicator = 'population'
        ) as population_persons,
        max(value_std) filter (
            where table_id = 'csy_fie_trade' and indicator = 'imports_exports'
        ) as fie_trade_usd,
        max(value_std) filter (
            where table_id = 'csy_road_area' and indicator = 'road_area'
        ) as road_area_m2,
        max(value_std) filter (
            where table_id = 'csy_higher_education' and indicator = 'students'
        ) as students,
        max(value_std) filter (
            where table_id = 'csy_higher_education' and indicator = 'teachers'
        ) as teachers,
        max(value_std) filter (
            where table_id = 'csy_industrial_enterprises' and indicator = 'enterprises'
        ) as industrial_enterprises,
        max(value_std) filter (
            where table_id = 'csy_industrial_enterprises' and indicator = 'gross_output'
        ) as industrial_output_yuan,
        max(value_std) filter (
            where table_id = 'dz_etdz_output' and indicator = 'gross_output'
        ) as etdz_output_yuan,
        max(value_std) filter (
            where table_id = 'st_hei_papers' and indicator = 'papers'
        ) as papers,
        max(value_std) filter (
            where table_id = 'st_hei_papers' and indicator = 'citations'
        ) as citations
    from panel
    group by province_code, year
),

final as (
    select
        pivoted.*,
        exchange_rate.usd_rate_yuan_per_usd
    from pivoted
    left join exchange_rate on pivoted.year = exchange_rate.year
)

select * from final
