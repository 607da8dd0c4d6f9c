-- One row per teacher (or director) and academic year, flagged trained when the training records of the
-- same academic year hold at least one completed course for that person.
with teachers as (

    select *
    from (
        select
            t.*,
            row_number() over (
                partition by teacher_key, academic_year order by school_id, source_file, source_row
            ) as register_rank
        from {{ ref('stg_raw__teachers') }} as t
    ) as ranked
    where register_rank = 1

),

training as (

    select
        teacher_key,
        academic_year,
        count(*) as courses_completed,
        sum(course_hours) as training_hours
    from {{ ref('stg_raw__training_records') }}
    group by teacher_key, academic_year

),

schools as (

    select * from {{ ref('int_school_years_deduplicated') }}

),

affiliations as (

    select * from {{ ref('affiliations') }}

)

select
    t.teacher_key,
    t.academic_year,
    t.province_code,
    s.district_code,
    t.school_id,
    coalesce(a.affiliation, 'other') as affiliation,
    t.position,
    t.sex,
    t.subject,
    t.academic_standing,
    cast(coalesce(tr.courses_completed, 0) as integer) as courses_completed,
    cast(coalesce(tr.training_hours, 0) as float8) as training_hours,
    case when tr.teacher_key is not null then true else false end as is_trained
from teachers as t
left join training as tr on t.teacher_key = tr.teacher_key and t.academic_year = tr.academic_year
left join schools as s on t.school_id = s.school_id and t.academic_year = s.academic_year
left join affiliations as a on {{ affiliation_code_of_school('t.school_id') }} = a.affiliation_code
