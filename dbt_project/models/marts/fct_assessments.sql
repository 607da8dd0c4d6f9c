-- NT, O-NET and competency results aggregated to school, test, grade, subject, sex and academic year, with
-- the number at or above the minimum-proficiency score (var minimum_proficiency_score). No student keys.
with results as (

    select * from {{ ref('stg_raw__assessment_results') }}

),

students as (

    select student_key, academic_year, sex from {{ ref('int_students_joined_to_schools') }}

)

select
    r.school_id,
    r.academic_year,
    r.test,
    r.grade,
    r.subject,
    coalesce(s.sex, 'unknown') as sex,
    p.province,
    r.province_code,
    cast(count(*) as integer) as results,
    cast(sum(case when r.score >= {{ var('minimum_proficiency_score', 50) }} then 1 else 0 end) as integer)
        as results_at_minimum_proficiency,
    {{ round4('avg(r.score)') }} as mean_score
from results as r
left join students as s on r.student_key = s.student_key and r.academic_year = s.academic_year
left join {{ ref('geo_provinces') }} as p on r.province_code = p.province_code
group by r.school_id, r.academic_year, r.test, r.grade, r.subject, coalesce(s.sex, 'unknown'), p.province,
         r.province_code
