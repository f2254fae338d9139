-- Catalog table st_hightech_operation
-- (raw/catalog/st_hightech_operation.yml):
-- one row per printed entity (province or aggregate) × data year × industry × indicator, the value
-- as printed and in the indicator's standard unit. Body shared by every staging model:
-- macros/stg_yearbook_records.sql.
{{ stg_yearbook_records('st_hightech_operation') }}
