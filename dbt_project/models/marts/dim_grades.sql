-- Grades K1-V3 with their level (ISCED), order, years of schooling and official entrance age (P1 = 6).
select
    grade,
    grade_name_th,
    level,
    level_name_en,
    level_name_th,
    isced_level,
    grade_order,
    years_of_schooling,
    official_age
from {{ ref('grades') }}
