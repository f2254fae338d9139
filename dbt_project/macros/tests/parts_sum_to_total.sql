{#- Breakdowns add up to their total within the printed rounding, for every identity of the seed
    `identities` (identity, table_id, total_indicator, part_indicator: e.g. invention + utility
    model + design = patents granted), every printed entity (provinces, 全国, belts), year and
    industry of `model` (int_records_current). Checked where the total and every part are printed;
    a blank part counts as zero (the yearbooks leave foreign funds blank where there are none), a
    part marked not available or an edition without the part's column skips the cell. Tolerance:
    the printed rounding of the total and its parts (half a unit of the last printed digit each,
    rounding_std) + the var reconciliation_relative_tolerance × the total. One failing row per
    cell, its message naming table, identity, entity, year and the source cell of the total. -#}
{% test parts_sum_to_total(model, identities) %}
{{ config(store_failures=true, schema='test_failures') }}
    with expected_parts as (
        select
            identity,
            table_id,
            total_indicator,
            count(*) as n_parts
        from {{ identities }}
        group by identity, table_id, total_indicator
    ),

    totals as (
        select
            expected_parts.identity,
            expected_parts.n_parts,
            cells.*
        from {{ model }} as cells
        inner join expected_parts
            on
                cells.table_id = expected_parts.table_id
                and cells.indicator = expected_parts.total_indicator
        where cells.value_std is not null
    ),

    parts as (
        select
            identities.identity,
            cells.table_id,
            cells.entity_kind,
            cells.province_code,
            cells.aggregate_code,
            cells.data_year,
            cells.industry_code,
            count(*) filter (
                where cells.value_std is not null or cells.value_flag = 'blank'
            ) as n_parts_usable,
            sum(coalesce(cells.value_std, 0)) as parts_sum_std,
            sum(coalesce(cells.rounding_std, 0)) as parts_rounding_std
        from {{ model }} as cells
        inner join {{ identities }} as identities
            on
                cells.table_id = identities.table_id
                and cells.indicator = identities.part_indicator
        group by all
    ),

    compared as (
        select
            totals.identity,
            totals.table_id,
            totals.entity_kind,
            coalesce(totals.province_code, totals.aggregate_code) as entity,
            totals.data_year,
            totals.industry_code,
            totals.value_std as total_std,
            parts.parts_sum_std,
            totals.value_std - parts.parts_sum_std as difference_std,
            coalesce(totals.rounding_std, 0) + parts.parts_rounding_std
            + {{ var('reconciliation_relative_tolerance') }} * abs(totals.value_std)
            as tolerance_std,
            totals.unit_std,
            totals.source_file,
            totals.source_cell
        from totals
        inner join parts
            on
                totals.identity = parts.identity
                and totals.table_id = parts.table_id
                and totals.entity_kind = parts.entity_kind
                and totals.province_code is not distinct from parts.province_code
                and totals.aggregate_code is not distinct from parts.aggregate_code
                and totals.data_year = parts.data_year
                and totals.industry_code is not distinct from parts.industry_code
        where parts.n_parts_usable = totals.n_parts
    )

    select
        table_id || ' ' || cast(data_year as varchar) || ' ' || entity || ': ' || identity
        || ' parts sum to ' || cast(parts_sum_std as varchar) || ' ' || unit_std
        || ' but the printed total is ' || cast(total_std as varchar) || ' ('
        || coalesce(source_file, '?') || ' ' || coalesce(source_cell, '?') || '); difference '
        || cast(difference_std as varchar) || ' exceeds the tolerance '
        || cast(tolerance_std as varchar) as failure_message,
        *
    from compared
    where abs(difference_std) > tolerance_std
{% endtest %}
