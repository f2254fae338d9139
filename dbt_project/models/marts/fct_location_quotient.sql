-- Location quotients: one row per province × year × industry with a high-tech output value.
-- LQ_ijt = (q_ijt / q_jt) / (Q_it / Q_t); the national totals Q are sums over the provinces
-- (reconciled against the printed 全国 rows by the test provinces_sum_to_national_total).
-- The sources of q_ijt (industry_output_yuan) and q_jt (industrial_output_yuan) and their order of
-- preference are rows of the seed ref_indicator_variables. var lq_output_measure: auto (default:
-- the preferred source the yearbook has for the industry-year — gross output, revenue from
-- principal business where no gross output is printed) | gross_output | revenue.
-- A row whose province industrial output (or a national total) is missing for the year, e.g. a
-- high-tech table loaded for a year the csy tables lack, keeps its output with location_quotient
-- NULL and null_reason location_quotient_missing (seed ref_null_reasons).
{%- set measure = var('lq_output_measure', 'auto') %}
{%- if measure not in ('auto', 'gross_output', 'revenue') %}
    {{ raise_invalid_var('lq_output_measure', measure, ['auto', 'gross_output', 'revenue']) }}
{%- endif %}

with panel as (
    {{ indicator_variable_values() }}
),

-- q_ijt: every source of industry_output_yuan (ref_indicator_variables), its indicator the measure
candidates as (
    select
        province_code,
        year,
        industry_code,
        table_id as output_source_table,
        indicator as output_measure,
        value_std as industry_output_yuan,
        source_priority
    from panel
    where
        variable = 'industry_output_yuan'
        and industry_code is not null
        {%- if measure != 'auto' %}
            and indicator = '{{ measure }}'
        {%- endif %}
),

-- one measure per industry-year, so that the LQs of an industry-year are comparable
chosen_source as (
    select
        year,
        industry_code,
        min(source_priority) as source_priority
    from candidates
    group by year, industry_code
),

industry_output as (
    select candidates.*
    from candidates
    inner join chosen_source
        on
            candidates.year = chosen_source.year
            and candidates.industry_code = chosen_source.industry_code
            and candidates.source_priority = chosen_source.source_priority
),

province_output as (
    select
        province_code,
        year,
        value_std as province_industrial_output_yuan
    from panel
    where variable = 'industrial_output_yuan' and industry_code is null
),

national_industrial as (
    select
        year,
        sum(province_industrial_output_yuan) as national_industrial_output_yuan
    from province_output
    group by year
),

national_industry as (
    select
        year,
        industry_code,
        sum(industry_output_yuan) as national_industry_output_yuan,
        count(*) as n_provinces_industry
    from industry_output
    group by year, industry_code
),

final as (
    select
        industry_output.province_code,
        industry_output.year,
        industry_output.industry_code,
        industry_output.output_measure,
        industry_output.output_source_table,
        industry_output.industry_output_yuan,
        province_output.province_industrial_output_yuan,
        national_industry.national_industry_output_yuan,
        national_industrial.national_industrial_output_yuan,
        national_industry.n_provinces_industry,
        (
            industry_output.industry_output_yuan
            / nullif(province_output.province_industrial_output_yuan, 0)
        )
        / nullif(
            national_industry.national_industry_output_yuan
            / nullif(national_industrial.national_industrial_output_yuan, 0),
            0
        ) as location_quotient
    from industry_output
    left join province_output
        on
            industry_output.province_code = province_output.province_code
            and industry_output.year = province_output.year
    left join national_industry
        on
            industry_output.year = national_industry.year
            and industry_output.industry_code = national_industry.industry_code
    left join national_industrial
        on industry_output.year = national_industrial.year
)

select
    *,
    case when location_quotient is null then 'location_quotient_missing' end as null_reason
from final
