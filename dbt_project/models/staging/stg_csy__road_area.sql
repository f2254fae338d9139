-- Catalog table csy_road_area
-- (raw/catalog/csy_road_area.yml):
-- one row per printed entity (province or aggregate) × data year × industry × indicator, the value
-- as printed and in the indicator's standard unit. Body shared by every staging model:
-- macros/stg_yearbook_records.sql.
{{ stg_yearbook_records('csy_road_area') }}
