-- Every yearbook cell of every catalog table (source raw.records), one row per printed entity
-- (province or aggregate) × data year × industry × table × indicator: typed, the value as printed
-- (value_printed, unit_printed) beside the value in the standard unit of its dimension (value_std,
-- unit_std; conversion in the standardise_units macro, factors in the ref_unit_factors seed), the
-- province's region and the table-year's load time. A new catalog table reaches this model, and
-- everything downstream, without any edit here: models below select by table_id and indicator.
with source as (
    select * from {{ source('raw', 'records') }}
),

renamed as (
    select
        table_id,
        yearbook,
        cast(data_year as integer) as data_year,
        cast(vintage as integer) as vintage,
        entity_kind,
        province_code,
        aggregate_code,
        name_raw,
        industry_code,
        indicator,
        cast(value as double) as value_printed,
        unit as unit_printed,
        value_raw,
        value_flag,
        source_file,
        source_sheet,
        source_cell
    from source
),

converted as (
    {{ standardise_units('renamed') }}
),

load_log as (
    -- one row per file × table × data year: two files may print the same table-year (editions)
    select
        file_path,
        table_id,
        data_year,
        loaded_at
    from {{ source('raw', 'load_log') }}
),

final as (
    select
        converted.*,
        provinces.name_en as province_name_en,
        provinces.region,
        load_log.loaded_at
    from converted
    left join {{ ref('ref_provinces') }} as provinces
        on converted.province_code = provinces.province_code
    left join load_log
        on
            converted.source_file = load_log.file_path
            and converted.table_id = load_log.table_id
            and converted.data_year = load_log.data_year
)

select * from final
