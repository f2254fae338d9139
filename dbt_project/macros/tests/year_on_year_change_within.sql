{#- One row per group and year (of the list `years`) whose column_name changed by more
    than max_change (a share: 0.2 = ±20 %) since the year before in the same group
    (group_by: the key columns besides year); a group missing the year before, or with a
    NULL or zero value there, is not compared. Meant for series that a change of definition
    breaks, run with severity warn: the rows say where the break shows, the build goes on. -#}
{% test year_on_year_change_within(model, column_name, group_by, max_change, years) %}
{{ config(store_failures=true, schema='test_failures') }}
    with series as (
        select
            {{ group_by | join(", ") }},
            year as period,
            {{ column_name }} as value
        from {{ model }}
        where {{ column_name }} is not null
    ),

    compared as (
        select
            {{ group_by | join(", ") }},
            this_year.period,
            last_year.value as previous_value,
            this_year.value,
            this_year.value / last_year.value - 1 as relative_change
        from series as this_year
        inner join series as last_year using ({{ group_by | join(", ") }})
        where
            this_year.period = last_year.period + 1
            and last_year.value <> 0
            and this_year.period in ({{ years | join(", ") }})
    )

    select
        '{{ column_name }} of ' || cast(row({{ group_by | join(", ") }}) as varchar) || ', '
        || cast(period - 1 as varchar) || ' → ' || cast(period as varchar) || ': '
        || cast(previous_value as varchar) || ' → ' || cast(value as varchar) || ' ('
        || cast(round(100 * relative_change, 1) as varchar) || ' %, beyond ±'
        || cast(100 * {{ max_change | float }} as varchar) || ' %)' as failure_message,
        *
    from compared
    where {{ max_change | float }} < abs(relative_change)
{% endtest %}
