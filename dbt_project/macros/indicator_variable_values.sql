{#- Every value of the long panel (int_province_indicators_stacked) with the variable it feeds
    (seed ref_indicator_variables, joined on table_id and indicator) and that source's priority:
    the one join by which the intermediate pivots and fct_location_quotient pick their quantities.
    industry_level: true → industry rows only, false → province-level rows only, none → both. -#}
{% macro indicator_variable_values(industry_level=none) -%}
    select
        stacked.province_code,
        stacked.year,
        stacked.industry_code,
        stacked.table_id,
        stacked.indicator,
        stacked.value_std,
        indicator_variables.variable,
        indicator_variables.source_priority
    from {{ ref('int_province_indicators_stacked') }} as stacked
    inner join {{ ref('ref_indicator_variables') }} as indicator_variables
        on
            stacked.table_id = indicator_variables.table_id
            and stacked.indicator = indicator_variables.indicator
    where
        stacked.value_std is not null
        and {{ 'true' if industry_level is none else 'stacked.industry_code is ' ~ (
            'not null' if industry_level else 'null') }}
{%- endmacro %}
