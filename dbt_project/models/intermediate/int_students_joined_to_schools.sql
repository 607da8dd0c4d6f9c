-- One row per student and academic year, placed in a district (school's registry record of that year, else
-- its latest record), with grade attributes, age at the start of the school year and EEF poverty status.
-- A student delivered twice in a year (moved school mid-year) keeps the record that is not a transfer-out.
-- `not materialized`: read three times, the CTE would otherwise be copied whole first (at 9 M students 2 GB
-- and 0.7 GB spilled to disk: 8.9 s and 23 s of CPU alone; each read scanning the table: 7.1 s and 13 s).
with students as not materialized (

    select * from {{ ref('stg_raw__students') }}

),

-- A student is delivered once a year almost always, so only the (student, year) pairs delivered more than once
-- are ranked: a window sorts every row it is given (9 M students: 11.8 s for the model ranking all, 9.9 s so).
repeated_student_years as (

    select student_key, academic_year
    from students
    group by student_key, academic_year
    having count(*) > 1

),

ranked_students as (

    select
        students.*,
        1 as roster_rank
    from students
    where not exists (
        select 1
        from repeated_student_years as r
        where r.student_key = students.student_key and r.academic_year = students.academic_year
    )

    union all

    select
        students.*,
        row_number() over (
            partition by student_key, academic_year
            order by case when status = 'transferred_out' then 1 else 0 end, school_id, source_file, source_row
        ) as roster_rank
    from students
    where exists (
        select 1
        from repeated_student_years as r
        where r.student_key = students.student_key and r.academic_year = students.academic_year
    )

),

school_years as (

    select * from {{ ref('int_school_years_deduplicated') }}

),

latest_school_records as (

    select school_id, district_code
    from (
        select
            school_id,
            district_code,
            row_number() over (partition by school_id order by academic_year desc) as recency_rank
        from school_years
    ) as ranked_schools
    where recency_rank = 1

),

poverty as (

    select student_key, academic_year, poverty_status
    from (
        select
            student_key,
            academic_year,
            poverty_status,
            row_number() over (
                partition by student_key, academic_year
                order by case poverty_status when 'extremely_poor' then 1 when 'poor' then 2 else 3 end
            ) as screening_rank
        from {{ ref('stg_raw__poverty_screenings') }}
    ) as ranked_screenings
    where screening_rank = 1

),

grades as (

    select * from {{ ref('grades') }}

),

affiliations as (

    select * from {{ ref('affiliations') }}

)

select
    s.student_key,
    s.academic_year,
    s.province_code,
    coalesce(sy.district_code, ls.district_code) as district_code,
    s.school_id,
    coalesce(a.affiliation, 'other') as affiliation,
    s.grade,
    g.level,
    g.years_of_schooling,
    g.is_final_grade,
    s.sex,
    s.id_kind,
    s.birth_date,
    {{ age_at_school_year_start('s.birth_date', 's.academic_year') }} as age,
    s.status,
    coalesce(p.poverty_status, 'not_screened') as poverty
from ranked_students as s
left join school_years as sy
    on s.school_id = sy.school_id and s.academic_year = sy.academic_year
left join latest_school_records as ls
    on s.school_id = ls.school_id
left join poverty as p
    on s.student_key = p.student_key and s.academic_year = p.academic_year
left join grades as g
    on s.grade = g.grade
left join affiliations as a
    on {{ affiliation_code_of_school('s.school_id') }} = a.affiliation_code
where s.roster_rank = 1
