-- Components of the poverty, literacy (Yala), NT/O-NET minimum proficiency and learning-space indicators
-- by district, academic year and breakdown (definitions: the model YAML). Sex and poverty of screened or
-- tested students come from the roster of the same year (unknown when the student is not on it).
-- `not materialized`: DuckDB otherwise materialises a CTE read three times, here every column of 9 M students
-- (at 9 M students under a 3 GB limit 6.7-8.8 s and 3.0 GB for this model; 3.4-3.9 s and 1.8 GB when each
-- join reads the table).
with students as not materialized (

    select * from {{ ref('int_students_joined_to_schools') }}

),

affiliations as (

    select * from {{ ref('affiliations') }}

),

school_years as (

    select * from {{ ref('int_school_years_deduplicated') }}

),

-- Schools covered by the EEF screening in a year (at least one screening record): only their students enter
-- the poverty shares, since students of schools outside the screening would otherwise look 'not poor'.
screened_schools as (

    select distinct school_id, academic_year from {{ ref('stg_raw__poverty_screenings') }}

),

poverty_shares as (

    select
        s.province_code,
        s.district_code,
        s.academic_year,
        s.level,
        s.sex,
        s.affiliation,
        case when s.poverty in ('poor', 'extremely_poor') then 1 else 0 end as is_poor,
        case when s.poverty = 'extremely_poor' then 1 else 0 end as is_extremely_poor,
        1 as student
    from students as s
    inner join screened_schools as ss
        on s.school_id = ss.school_id and s.academic_year = ss.academic_year

),

literacy_by_student as (

    select
        l.student_key,
        l.academic_year,
        l.school_id,
        l.grade,
        min(case when l.has_passed then 1 else 0 end) as passed_all,
        max(case when l.skill = 'reading' then 1 else 0 end) as screened_reading,
        max(case when l.skill = 'reading' and l.has_passed then 1 else 0 end) as passed_reading,
        max(case when l.skill = 'writing' then 1 else 0 end) as screened_writing,
        max(case when l.skill = 'writing' and l.has_passed then 1 else 0 end) as passed_writing
    from {{ ref('stg_raw__literacy_screenings') }} as l
    group by l.student_key, l.academic_year, l.school_id, l.grade

),

literacy as (

    select
        {{ province_code_of_school('l.school_id') }} as province_code,
        sy.district_code,
        l.academic_year,
        l.grade,
        coalesce(s.sex, 'unknown') as sex,
        coalesce(a.affiliation, 'other') as affiliation,
        coalesce(s.poverty, 'not_screened') as poverty,
        l.passed_all,
        l.screened_reading,
        l.passed_reading,
        l.screened_writing,
        l.passed_writing,
        1 as screened
    from literacy_by_student as l
    left join students as s on l.student_key = s.student_key and l.academic_year = s.academic_year
    left join school_years as sy on l.school_id = sy.school_id and l.academic_year = sy.academic_year
    left join affiliations as a on {{ affiliation_code_of_school('l.school_id') }} = a.affiliation_code

),

assessments as (

    select
        {{ province_code_of_school('r.school_id') }} as province_code,
        sy.district_code,
        r.academic_year,
        r.grade,
        r.subject,
        coalesce(s.sex, 'unknown') as sex,
        coalesce(a.affiliation, 'other') as affiliation,
        coalesce(s.poverty, 'not_screened') as poverty,
        case when r.score >= {{ var('minimum_proficiency_score', 50) }} then 1 else 0 end as at_minimum,
        1 as result
    from {{ ref('stg_raw__assessment_results') }} as r
    left join students as s on r.student_key = s.student_key and r.academic_year = s.academic_year
    left join school_years as sy on r.school_id = sy.school_id and r.academic_year = sy.academic_year
    left join affiliations as a on {{ affiliation_code_of_school('r.school_id') }} = a.affiliation_code
    where r.test in ('NT', 'ONET')

),

learning_spaces as (

    select province_code, district_code, academic_year, visitors, visitors_applying
    from {{ ref('stg_raw__learning_space_logs') }}

)

{{ breakdown_components('poverty_shares', 'share_poor_students', 'is_poor', 'student',
                        ['level', 'sex', 'affiliation']) }}
union all
{{ breakdown_components('poverty_shares', 'share_extremely_poor_students', 'is_extremely_poor', 'student',
                        ['level', 'sex', 'affiliation']) }}
union all
{{ breakdown_components('literacy', 'literacy_pass_rate', 'passed_all', 'screened',
                        ['grade', 'sex', 'affiliation', 'poverty']) }}
union all
{{ breakdown_components('literacy', 'literacy_reading_pass_rate', 'passed_reading', 'screened_reading',
                        ['grade', 'sex', 'affiliation', 'poverty'], where='screened_reading = 1') }}
union all
{{ breakdown_components('literacy', 'literacy_writing_pass_rate', 'passed_writing', 'screened_writing',
                        ['grade', 'sex', 'affiliation', 'poverty'], where='screened_writing = 1') }}
union all
{{ breakdown_components('assessments', 'minimum_proficiency_share', 'at_minimum', 'result',
                        ['grade', 'subject', 'sex', 'affiliation', 'poverty']) }}
union all
{{ breakdown_components('learning_spaces', 'learning_space_users', 'visitors') }}
union all
{{ breakdown_components('learning_spaces', 'learning_space_applying_share', 'visitors_applying', 'visitors') }}
