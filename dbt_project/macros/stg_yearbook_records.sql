{#-
    Body of a staging model: the records of one catalog table, typed, with the province joined to
    dim_province, the load metadata from raw.load_log and values in one standard unit per indicator.
    Used as `{{ stg_yearbook_records('csy_gdp') }}` after the model's `source` and `renamed` CTEs:
    expects a CTE `renamed` (columns below) and continues the WITH chain.
-#}
{% macro stg_yearbook_records() -%}
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
