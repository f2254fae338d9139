-- National totals computed from the provinces beside the printed national total (全国), one row per
-- table × data year × industry × indicator that prints a national total. Only additive units
-- (is_additive in the ref_unit_factors seed) are reconciled; rates and percentages are not sums.
-- tolerance_std: the printed rounding of every province cell plus that of the national cell
-- (half a unit of the last printed digit each), in the standard unit, plus the share
-- reconciliation_relative_tolerance (dbt_project.yml) of the total; the load gate applies the same.
with records as (
    select * from {{ ref('stg_raw__records') }}
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
        count(value_std) as n_provinces_reported,
        sum(value_std) as computed_total_std,
        sum(rounding_std) filter (where value_std is not null) as provinces_rounding_std
    from records
    where entity_kind = 'province'
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
        source_cell
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
        printed.source_cell
    from printed
    inner join provinces
        on
            printed.table_id = provinces.table_id
            and printed.data_year = provinces.data_year
            and printed.indicator = provinces.indicator
            and printed.industry_code is not distinct from provinces.industry_code
)

select
    *,
    abs(difference_std) <= tolerance_std as is_within_rounding
from final
