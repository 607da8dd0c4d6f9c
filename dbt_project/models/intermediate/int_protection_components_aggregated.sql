-- Components of the social-protection indicators (Sukhothai's social protection network for education) by
-- district, academic year and breakdown: one case per student and disadvantage recorded in the year.
-- Sex comes from the roster of the same year ('unknown' when the student is not on it).
with students as (

    select student_key, academic_year, sex from {{ ref('int_students_joined_to_schools') }}

),

school_years as (

    select * from {{ ref('int_school_years_deduplicated') }}

),

affiliations as (

    select * from {{ ref('affiliations') }}

),

cases as (

    select
        c.province_code,
        sy.district_code,
        c.academic_year,
        coalesce(s.sex, 'unknown') as sex,
        coalesce(a.affiliation, 'other') as affiliation,
        case when c.follow_up_status = 'closed' then 1 else 0 end as is_closed,
        1 as protection_case
    from {{ ref('stg_raw__protection_cases') }} as c
    left join students as s on c.student_key = s.student_key and c.academic_year = s.academic_year
    left join school_years as sy on c.school_id = sy.school_id and c.academic_year = sy.academic_year
    left join affiliations as a on {{ affiliation_code_of_school('c.school_id') }} = a.affiliation_code

)

{{ breakdown_components('cases', 'protection_cases', 'protection_case', none, ['sex', 'affiliation']) }}
union all
{{ breakdown_components('cases', 'protection_cases_closed_share', 'is_closed', 'protection_case',
                        ['sex', 'affiliation']) }}
