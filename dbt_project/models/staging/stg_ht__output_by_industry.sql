-- Catalog table ht_output_by_industry
-- (raw/catalog/ht_output_by_industry.yml):
-- one row per printed entity (province or aggregate) × data year × industry × indicator, the value
-- as printed and in the indicator's standard unit. Body shared by every staging model:
-- macros/stg_yearbook_records.sql.
{{ stg_yearbook_records('ht_output_by_industry') }}
