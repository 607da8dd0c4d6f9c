-- Grades K1-V3 with their level (ISCED), order, years of schooling, official age (P1 = 6) and whether the
-- grade ends a level (K3, P6, M3, M6, V3: its graduates count as promotees in the flow rates).
select
    grade,
    grade_name_th,
    level,
    level_name_en,
    level_name_th,
    isced_level,
    grade_order,
    years_of_schooling,
    official_age,
    is_final_grade
from {{ ref('grades') }}
