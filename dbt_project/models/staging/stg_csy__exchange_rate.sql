-- Catalog table csy_exchange_rate
-- (raw/catalog/csy_exchange_rate.yml):
-- one row per printed entity (province or aggregate) × data year × industry × indicator, the value
-- as printed and in the indicator's standard unit. Body shared by every staging model:
-- macros/stg_yearbook_records.sql.
{{ stg_yearbook_records('csy_exchange_rate') }}
