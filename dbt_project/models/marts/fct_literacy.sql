-- Yala literacy screening aggregated to school, grade, skill, sex and academic year (sex from the roster
-- of the same year; 'unknown' when the student is not on it). No student keys.
with screenings as (

    select * from {{ ref('stg_raw__literacy_screenings') }}

),

students as (

    select student_key, academic_year, sex from {{ ref('int_students_joined_to_schools') }}

)

select
    l.school_id,
    l.academic_year,
    l.grade,
    l.skill,
    coalesce(s.sex, 'unknown') as sex,
    p.province,
    l.province_code,
    cast(count(*) as integer) as students_screened,
    cast(sum(case when l.has_passed then 1 else 0 end) as integer) as students_passed,
    {{ round4('avg(l.score)') }} as mean_score
from screenings as l
left join students as s on l.student_key = s.student_key and l.academic_year = s.academic_year
left join {{ ref('geo_provinces') }} as p on l.province_code = p.province_code
group by l.school_id, l.academic_year, l.grade, l.skill, coalesce(s.sex, 'unknown'), p.province, l.province_code
