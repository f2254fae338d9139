{#- Every province × year × industry of the panel grid (ref_provinces × panel years ×
    ref_industries) is in the model, and nothing else: one failing row per gap or stray key. -#}
{% test panel_is_complete(model,
    first_year=var('panel_first_year', 2006), last_year=var('panel_last_year', 2015)) %}
{{ config(store_failures=true, schema='test_failures') }}
    with expected as (
        select
            provinces.province_code,
            cast(years.generate_series as integer) as year,
            industries.industry_code
        from {{ ref('ref_provinces') }} as provinces
        cross join generate_series({{ first_year }}, {{ last_year }}) as years
        cross join {{ ref('ref_industries') }} as industries
    ),

    actual as (
        select distinct
            province_code,
            cast(year as integer) as year,
            industry_code
        from {{ model }}
    ),

    gaps as (
        select
            'missing' as problem,
            *
        from (select * from expected except select * from actual)
        union all
        select
            'not in the panel grid' as problem,
            *
        from (select * from actual except select * from expected)
    )

    select
        'panel row ' || problem || ': province ' || coalesce(province_code, 'NULL') || ', year '
        || coalesce(cast(year as varchar), 'NULL') || ', industry '
        || coalesce(industry_code, 'NULL') as failure_message,
        *
    from gaps
{% endtest %}
