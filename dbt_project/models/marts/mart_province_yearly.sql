-- One row per province and academic year with the headline indicators as columns (value, previous-year
-- value, change), pivoted from fct_province_indicators (breakdown 'total'). Suppressed values stay null.
with indicators as (

    select * from {{ ref('fct_province_indicators') }}
    where breakdown_type = 'total'

)

select
    province,
    province_code,
    academic_year,
    {{ headline_columns() }}
from indicators
group by province, province_code, academic_year
