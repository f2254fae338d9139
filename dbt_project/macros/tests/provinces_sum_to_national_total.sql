{#- On int_national_totals_reconciled: the provinces (plus the out-of-scope regions the printed 全国
    covers) must sum to the printed national total within the printed rounding. One failing row
    per table × year × industry × indicator. known_misprints: 'exclude' (default) leaves out the
    totals documented in printed_gaps (raw.catalog_printed_gaps) whose difference is still the
    documented gap; 'only' lists just those (run with severity warn, so that a known misprint is
    reported at every build without failing it). -#}
{% test provinces_sum_to_national_total(model, known_misprints='exclude') %}
{{ config(store_failures=true, schema='test_failures') }}
    select
        table_id || ' ' || cast(data_year as varchar) || ' ' || indicator
        || coalesce(' (industry ' || industry_code || ')', '')
        || ': provinces sum to ' || cast(computed_total_std as varchar) || ' ' || unit_std
        || ' but the printed national total is ' || cast(printed_total_std as varchar)
        || ' (' || cast(printed_total as varchar) || ' ' || unit_printed || ' at '
        || coalesce(source_cell, '?') || '); difference ' || cast(difference_std as varchar)
        || ' exceeds the rounding tolerance ' || cast(tolerance_std as varchar)
        || coalesce(' (known misprint: ' || known_misprint || ')', '') as failure_message,
        *
    from {{ model }}
    where
        not is_within_rounding
        and {{ 'not' if known_misprints == 'exclude' else '' }} is_known_misprint
{% endtest %}
