-- National totals computed from the provinces beside the printed national total (全国), one row per
-- table × data year × industry × indicator that prints a national total. Only additive units
-- (is_additive in the ref_unit_factors seed) are reconciled; rates and percentages are not sums.
-- tolerance_std: the printed rounding of every province cell plus that of the national cell
-- (half a unit of the last printed digit each), in the standard unit, plus the share
-- reconciliation_relative_tolerance (dbt_project.yml) of the total; the load gate applies the same.
-- Where the printed 全国 also covers out-of-scope regions (Hong Kong, Macao, Taiwan in the patent
-- tables; the catalog's national_total_includes, in raw.catalog_national_total_coverage), their
-- rows are added to the provinces' sum. A total the yearbook really prints off its provinces,
-- documented with its measured gap in printed_gaps of expectations/<table_id>.yml (published to
-- raw.catalog_printed_gaps, the list the load gate reads), is flagged is_known_misprint instead of
-- failing while its difference is still that gap, within the rounding.
with records as (
    select * from {{ ref('int_records_current') }}
    where unit_printed in (
        select additive.unit from {{ ref('ref_unit_factors') }} as additive
        where additive.is_additive
    )
),

provinces as (
    select
        table_id,
        data_year,
        industry_code,
        indicator,
        any_value(unit_std) as unit_std,
        count(value_std) filter (where entity_kind = 'province') as n_provinces_reported,
        count(value_std) filter (
            where entity_kind = 'out_of_scope'
        ) as n_out_of_scope_added,
        sum(value_std) as computed_total_std,
        sum(rounding_std) filter (where value_std is not null) as provinces_rounding_std
    from records
    where
        entity_kind = 'province'
        or (
            entity_kind = 'out_of_scope'
            and (table_id, aggregate_code) in (
                select (coverage.table_id, coverage.out_of_scope_code)
                from {{ source('raw', 'catalog_national_total_coverage') }} as coverage
            )
        )
    group by table_id, data_year, industry_code, indicator
),

printed as (
    select
        table_id,
        data_year,
        industry_code,
        indicator,
        value_std as printed_total_std,
        value_printed as printed_total,
        unit_printed,
        rounding_std as printed_rounding_std,
        source_file,
        source_cell,
        unit_factor
    from records
    where
        entity_kind = 'aggregate'
        and aggregate_code = 'national'
        and value_std is not null
),

final as (
    select
        printed.table_id,
        printed.data_year,
        printed.industry_code,
        printed.indicator,
        provinces.unit_std,
        provinces.n_provinces_reported,
        provinces.n_out_of_scope_added,
        provinces.computed_total_std,
        printed.printed_total_std,
        printed.printed_total,
        printed.unit_printed,
        provinces.computed_total_std - printed.printed_total_std as difference_std,
        coalesce(provinces.provinces_rounding_std, 0)
        + printed.printed_rounding_std
        + {{ var('reconciliation_relative_tolerance') }}
        * abs(printed.printed_total_std) as tolerance_std,
        printed.source_file,
        printed.source_cell,
        printed.unit_factor as unit_std_factor
    from printed
    inner join provinces
        on
            printed.table_id = provinces.table_id
            and printed.data_year = provinces.data_year
            and printed.indicator = provinces.indicator
            and printed.industry_code is not distinct from provinces.industry_code
),

printed_gaps as (
    select
        table_id,
        data_year,
        industry_code,
        indicator,
        gap
    from {{ source('raw', 'catalog_printed_gaps') }}
    where aggregate_code = 'national'
),

flagged as (
    select
        final.*,
        abs(final.difference_std) <= final.tolerance_std as is_within_rounding,
        printed_gaps.gap * final.unit_std_factor as documented_gap_std,
        'printed_gaps of expectations/' || final.table_id || '.yml: gap '
        || cast(printed_gaps.gap as varchar) || ' ' || final.unit_printed as known_misprint
    from final
    left join printed_gaps
        on
            final.table_id = printed_gaps.table_id
            and final.data_year = printed_gaps.data_year
            and final.indicator = printed_gaps.indicator
            -- no industry: the gap of a table the yearbook prints for one series only
            and (
                printed_gaps.industry_code is null
                or final.industry_code = printed_gaps.industry_code
            )
)

select
    * exclude (unit_std_factor),
    not is_within_rounding
    and coalesce(
        abs(difference_std - documented_gap_std) <= tolerance_std, false
    ) as is_known_misprint
from flagged
