-- Province-level yearbook quantities side by side, one row per province × year that has any, in the
-- standard units (元, 人, 平方米, 美元, counts). Which table and indicator feeds which column is the
-- seed ref_indicator_variables; where several sources feed one column, the lowest source_priority
-- with a value wins. The annual average RMB/USD rate is national (a printed aggregate).
{%- set variables = [
    'gdp_yuan', 'population_persons', 'fie_trade_usd', 'road_area_m2', 'students', 'teachers',
    'industrial_enterprises', 'industrial_output_yuan', 'etdz_output_yuan', 'papers', 'citations',
] %}

with indicator_variables as (
    select * from {{ ref('ref_indicator_variables') }}
),

panel as (
    {{ indicator_variable_values(industry_level=false) }}
),

chosen as (
    select *
    from panel
    qualify
        row_number() over (
            partition by province_code, year, variable
            order by source_priority
        ) = 1
),

exchange_rate as (
    select
        records.data_year as year,
        records.value_std as usd_rate_yuan_per_usd
    from {{ ref('int_records_current') }} as records
    inner join indicator_variables
        on
            records.table_id = indicator_variables.table_id
            and records.indicator = indicator_variables.indicator
    where
        indicator_variables.variable = 'usd_rate_yuan_per_usd'
        and records.value_std is not null
    qualify
        row_number() over (
            partition by records.data_year
            order by indicator_variables.source_priority
        ) = 1
),

final as (
    select
        chosen.province_code,
        chosen.year,
        {%- for v in variables %}
            max(chosen.value_std) filter (where chosen.variable = '{{ v }}') as {{ v }},
        {%- endfor %}
        any_value(exchange_rate.usd_rate_yuan_per_usd) as usd_rate_yuan_per_usd
    from chosen
    left join exchange_rate on chosen.year = exchange_rate.year
    group by chosen.province_code, chosen.year
)

select * from final
