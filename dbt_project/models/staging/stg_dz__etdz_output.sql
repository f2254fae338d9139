-- Catalog table dz_etdz_output
-- (raw/catalog/dz_etdz_output.yml):
-- one row per printed entity (province or aggregate) × data year × industry × indicator, the value
-- as printed and in the indicator's standard unit. Body shared by every staging model:
-- macros/stg_yearbook_records.sql.
{{ stg_yearbook_records('dz_etdz_output') }}
