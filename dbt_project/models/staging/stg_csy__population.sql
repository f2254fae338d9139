-- Catalog table csy_population, raw/catalog/csy_population.yml:
-- one row per printed entity (province or aggregate) × data year × industry × indicator,
-- the value as printed and in the indicator's standard unit.
with source as (
    select * from {{ source('raw', 'records') }}
    where table_id = 'csy_population'
),

renamed as (
    select
        table_id,
        yearbook,
        cast(data_year as integer) as data_year,
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

{{ stg_yearbook_records() }}
