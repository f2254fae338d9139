-- The long panel: one row per province × year × industry × table × indicator, in the standard unit
-- of the indicator (unit_std). industry_code is NULL for province-level indicators (GDP,
-- population, …). Missing cells (value_flag blank / not_available) are kept with value_std NULL.
with records as (
    select * from {{ ref('int_records_current') }}
    where entity_kind = 'province'
),

final as (
    select
        province_code,
        data_year as year,
        industry_code,
        table_id,
        indicator,
        value_std,
        unit_std,
        unit_dimension,
        rounding_std,
        value_printed,
        unit_printed,
        value_raw,
        value_flag,
        region,
        source_file,
        source_sheet,
        source_cell
    from records
)

select * from final
