-- Real innovation indicators of the Science & Technology Yearbook side by side: one row per
-- province × year, for the 31 provinces and every year for which any table feeding this mart
-- is loaded. Which table and indicator feeds which column is the seed ref_indicator_variables
-- (no table is named here); where several tables print one quantity (rd_expenditure), the
-- lowest source_priority with a value wins and *_source_table says which. Values are the latest
-- edition's (int_records_current), in the standard unit of staging (元, 人年, 个, %). A NULL
-- column has its reason in null_reason: <column>_not_loaded (no source table loaded for the
-- year) or <column>_not_printed (a source table is loaded, but not this column or this cell).
{%- set variables = [
    'rd_personnel_fte', 'rd_personnel_fte_researchers', 'rd_personnel_fte_basic',
    'rd_personnel_fte_applied', 'rd_personnel_fte_experimental',
    'rd_expenditure', 'rd_expenditure_government', 'rd_expenditure_enterprise',
    'rd_expenditure_foreign', 'rd_expenditure_other',
    'rd_expenditure_routine', 'rd_expenditure_labour_cost', 'rd_expenditure_capital',
    'rd_expenditure_equipment',
    'rd_expenditure_basic', 'rd_expenditure_applied', 'rd_expenditure_experimental',
    'rd_intensity_pct',
    'patent_applications', 'patent_applications_invention', 'patent_applications_utility_model',
    'patent_applications_design',
    'patent_grants', 'patent_grants_invention', 'patent_grants_utility_model',
    'patent_grants_design',
    'patents_in_force', 'patents_in_force_invention', 'patents_in_force_utility_model',
    'patents_in_force_design',
    'hightech_enterprises', 'hightech_revenue', 'hightech_profit', 'hightech_gross_output',
    'hightech_rd_personnel_fte', 'hightech_rd_expenditure', 'hightech_new_product_sales',
    'hightech_patent_applications', 'hightech_invention_patents',
    'industrial_firms_with_rd', 'industrial_firms_with_rd_institutions',
    'industrial_new_product_sales', 'industrial_new_product_expenditure',
] %}

with indicator_variables as (
    select * from {{ ref('ref_indicator_variables') }}
    where
        variable in (
            {%- for v in variables %}
                '{{ v }}'{{ "," if not loop.last }}
            {%- endfor %}
        )
),

records as (
    select * from {{ ref('int_records_current') }}
),

-- table × year pairs loaded (any cell of the table, any entity)
tables_loaded as (
    select distinct
        table_id,
        data_year as year
    from records
),

-- variables with at least one source table loaded, per year
variables_loaded as (
    select
        tables_loaded.year,
        list(distinct indicator_variables.variable) as loaded_variables
    from tables_loaded
    inner join indicator_variables on tables_loaded.table_id = indicator_variables.table_id
    group by tables_loaded.year
),

-- province cells of the mart's sources; by-industry tables contribute their total (T)
sourced as (
    select
        records.province_code,
        records.data_year as year,
        indicator_variables.variable,
        indicator_variables.source_priority,
        records.table_id,
        records.value_std
    from records
    inner join indicator_variables
        on
            records.table_id = indicator_variables.table_id
            and records.indicator = indicator_variables.indicator
    where
        records.entity_kind = 'province'
        and coalesce(records.industry_code, 'T') = 'T'
        and records.value_std is not null
),

chosen as (
    select *
    from sourced
    qualify
        row_number() over (
            partition by province_code, year, variable
            order by source_priority
        ) = 1
),

spine as (
    select
        provinces.province_code,
        provinces.region,
        variables_loaded.year,
        variables_loaded.loaded_variables
    from {{ ref('dim_province') }} as provinces
    cross join variables_loaded
),

wide as (
    select
        spine.province_code,
        spine.year,
        any_value(spine.region) as region,
        any_value(spine.loaded_variables) as loaded_variables,
        {%- for v in variables %}
            max(chosen.value_std) filter (where chosen.variable = '{{ v }}') as {{ v }},
        {%- endfor %}
        max(chosen.table_id) filter (
            where chosen.variable = 'rd_expenditure'
        ) as rd_expenditure_source_table
    from spine
    left join chosen
        on
            spine.province_code = chosen.province_code
            and spine.year = chosen.year
    group by spine.province_code, spine.year
),

final as (
    select
        province_code,
        year,
        region,
        {%- for v in variables %}
            {{ v }},
        {%- endfor %}
        rd_expenditure_source_table,
        nullif(concat_ws(
            '; ',
            {%- for v in variables %}
                case
                    when {{ v }} is not null then null
                    when list_contains(loaded_variables, '{{ v }}') then '{{ v }}_not_printed'
                    else '{{ v }}_not_loaded'
                end{{ "," if not loop.last }}
            {%- endfor %}
        ), '') as null_reason
    from wide
)

select * from final
