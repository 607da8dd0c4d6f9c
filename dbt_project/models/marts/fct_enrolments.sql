-- One row per school, grade, sex and academic year: EMIS 10 June count, roster head count, and the
-- enrolment the indicators use (EMIS where the school-year is in EMIS, roster otherwise).
with enrolments as (

    select * from {{ ref('int_enrolments_reconciled') }}

),

school_years as (

    select * from {{ ref('int_school_years_sized') }}

)

select
    e.school_id,
    e.academic_year,
    e.grade,
    g.level,
    e.sex,
    p.province,
    sy.province_code,
    sy.district_code,
    coalesce(a.affiliation, 'other') as affiliation,
    e.emis_students,
    e.roster_students,
    e.students,
    e.enrolment_source
from enrolments as e
inner join {{ ref('grades') }} as g on e.grade = g.grade
left join school_years as sy on e.school_id = sy.school_id and e.academic_year = sy.academic_year
left join {{ ref('geo_provinces') }} as p on sy.province_code = p.province_code
left join {{ ref('affiliations') }} as a on {{ affiliation_code_of_school('e.school_id') }} = a.affiliation_code
