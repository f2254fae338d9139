{#- T = T1 + … + T5 for every table, indicator, province and year where the yearbook prints T
    and all five industries, within the printed rounding of the six cells. One failing row per cell, with a
    message naming table, indicator, province and year. -#}
{% test total_equals_sum_of_industries(model, column_name='value_std', rounding='rounding_std') %}
{{ config(store_failures=true, schema='test_failures') }}
    with cells as (
        select * from {{ model }}
        where industry_code in ('T', 'T1', 'T2', 'T3', 'T4', 'T5') and {{ column_name }} is not null
    ),

    compared as (
        select
            table_id,
            indicator,
            province_code,
            year,
            max({{ column_name }}) filter (where industry_code = 'T') as total_value,
            sum({{ column_name }}) filter (where industry_code <> 'T') as sum_of_industries,
            count(*) filter (where industry_code <> 'T') as n_industries,
            sum({{ rounding }}) + 1e-9 * abs(max({{ column_name }})) as tolerance
        from cells
        group by table_id, indicator, province_code, year
        having count(*) filter (where industry_code = 'T') = 1 and n_industries = 5
    )

    select
        table_id || ' ' || indicator || ', province ' || province_code || ', ' || cast(year as varchar)
        || ': T = ' || cast(total_value as varchar) || ' but T1–T5 sum to '
        || cast(sum_of_industries as varchar) || ' (difference '
        || cast(total_value - sum_of_industries as varchar) || ' > rounding '
        || cast(tolerance as varchar) || ')' as failure_message,
        *
    from compared
    where abs(total_value - sum_of_industries) > tolerance
{% endtest %}
