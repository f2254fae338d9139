{#- On int_national_totals_reconciled: the provinces must sum to the printed national total within
    the printed rounding. One failing row per table × year × industry × indicator. -#}
{% test provinces_sum_to_national_total(model) %}
{{ config(store_failures=true, schema='test_failures') }}
    select
        table_id || ' ' || cast(data_year as varchar) || ' ' || indicator
        || coalesce(' (industry ' || industry_code || ')', '')
        || ': provinces sum to ' || cast(computed_total_std as varchar) || ' ' || unit_std
        || ' but the printed national total is ' || cast(printed_total_std as varchar)
        || ' (' || cast(printed_total as varchar) || ' ' || unit_printed || ' at '
        || coalesce(source_cell, '?') || '); difference ' || cast(difference_std as varchar)
        || ' exceeds the rounding tolerance ' || cast(tolerance_std as varchar) as failure_message,
        *
    from {{ model }}
    where not is_within_rounding
{% endtest %}
