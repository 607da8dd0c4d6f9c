-- One row per district and academic year with the headline indicators as columns (value, previous-year
-- value, change), pivoted from fct_district_indicators (breakdown 'total'). Suppressed values stay null.
with indicators as (

    select * from {{ ref('fct_district_indicators') }}
    where breakdown_type = 'total'

)

select
    province,
    province_code,
    district_code,
    district_name_th,
    district_name_en,
    academic_year,
    {{ headline_columns() }}
from indicators
group by province, province_code, district_code, district_name_th, district_name_en, academic_year
