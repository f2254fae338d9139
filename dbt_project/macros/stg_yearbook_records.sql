{#-
    The whole body of a staging model: the records of one catalog table (source → renamed), typed,
    with the province joined to dim_province, the load metadata from raw.load_log and values in one
    standard unit per indicator (converted → final). Every stg_<yearbook>__<table> model is one call,
    `{{ stg_yearbook_records('csy_gdp') }}`, so a new catalog table needs no new SQL logic.
-#}
{% macro stg_yearbook_records(table_id) -%}
with source as (
    select * from {{ source('raw', 'records') }}
    where table_id = '{{ table_id }}'
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

converted as (
    {{ standardise_units('renamed') }}
),

load_log as (
    select
        table_id,
        data_year,
        file_hash as load_file_hash,
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
    left join {{ ref('dim_province') }} as provinces
        on converted.province_code = provinces.province_code
    left join load_log
        on
            converted.table_id = load_log.table_id
            and converted.data_year = load_log.data_year
)

select * from final
{%- endmacro %}
