-- One row per teacher or director and academic year (pseudonymised key), with the trained flag: at least
-- one completed course in the training records of that academic year.
select
    t.teacher_key,
    t.academic_year,
    p.province,
    t.province_code,
    t.district_code,
    t.school_id,
    t.affiliation,
    t.position,
    t.sex,
    t.subject,
    t.academic_standing,
    t.courses_completed,
    t.training_hours,
    t.is_trained
from {{ ref('int_teachers_joined_to_training') }} as t
left join {{ ref('geo_provinces') }} as p on t.province_code = p.province_code
