-- Components of the population-based indicators (GER and NER per level, out-of-school children and rates)
-- by district, academic year and breakdown, for the province-years whose DOPA population was delivered
-- (a missing register is an absence, not a population of zero). Population is counted in the district of
-- residence, enrolment in the district of the school.
with population as (

    select p.province_code, p.district_code, p.academic_year, p.age, p.sex, sum(p.persons) as persons
    from {{ ref('stg_raw__population_counts') }} as p
    inner join {{ ref('geo_provinces') }} as gp on p.province_code = gp.province_code
    group by p.province_code, p.district_code, p.academic_year, p.age, p.sex

),

population_years as (

    select distinct province_code, academic_year from population

),

grades as (

    select * from {{ ref('grades') }}

),

level_ages as (

    select level, min(official_age) as min_age, max(official_age) as max_age
    from grades
    group by level

),

enrolments as (

    select e.school_id, e.academic_year, e.sex, g.level, e.students
    from {{ ref('int_enrolments_reconciled') }} as e
    inner join grades as g on e.grade = g.grade

),

school_years as (

    select * from {{ ref('int_school_years_sized') }}

),

students as (

    select * from {{ ref('int_students_joined_to_schools') }}

),

-- Gross enrolment: students in the level at any age against the population of official age.
level_enrolment as (

    select
        {{ province_code_of_school('e.school_id') }} as province_code,
        sy.district_code,
        e.academic_year,
        e.level,
        e.sex,
        sum(e.students) as enrolled_any_age
    from enrolments as e
    left join school_years as sy on e.school_id = sy.school_id and e.academic_year = sy.academic_year
    group by {{ province_code_of_school('e.school_id') }}, sy.district_code, e.academic_year, e.level, e.sex

),

-- Net enrolment: roster students of official age for the level who are enrolled in that level.
level_enrolment_official_age as (

    select s.province_code, s.district_code, s.academic_year, s.level, s.sex, count(*) as enrolled_of_age
    from students as s
    inner join level_ages as la on s.level = la.level
    where s.age between la.min_age and la.max_age
    group by s.province_code, s.district_code, s.academic_year, s.level, s.sex

),

level_population as (

    select p.province_code, p.district_code, p.academic_year, la.level, p.sex, sum(p.persons) as population_of_age
    from population as p
    inner join level_ages as la on p.age between la.min_age and la.max_age
    group by p.province_code, p.district_code, p.academic_year, la.level, p.sex

),

-- Union then sum, so enrolment in a district without population rows still counts (with a zero denominator).
enrolment_ratios as (

    select parts.province_code, parts.district_code, parts.academic_year, parts.level, parts.sex,
           sum(parts.enrolled_any_age) as enrolled_any_age,
           sum(parts.enrolled_of_age) as enrolled_of_age,
           sum(parts.population_of_age) as population_of_age
    from (
        select province_code, district_code, academic_year, level, sex,
               enrolled_any_age, 0 as enrolled_of_age, 0 as population_of_age
        from level_enrolment
        union all
        select province_code, district_code, academic_year, level, sex, 0, enrolled_of_age, 0
        from level_enrolment_official_age
        union all
        select province_code, district_code, academic_year, level, sex, 0, 0, population_of_age
        from level_population
    ) as parts
    inner join population_years as py
        on parts.province_code = py.province_code and parts.academic_year = py.academic_year
    group by parts.province_code, parts.district_code, parts.academic_year, parts.level, parts.sex

),

-- Out of school (SDG 4.1.4): population of each age minus roster students of that age at any level.
-- Kept as a signed net per district, age and sex; the marts sum it to the area and group they report and
-- only then floor it at zero, so children schooled across a district line are not counted out of school.
school_age_cells as (

    select province_code, district_code, academic_year, age, sex, persons as population_of_age,
           persons as out_of_school_net
    from population
    where age between 6 and 17
    union all
    select province_code, district_code, academic_year, age, sex, 0, -1
    from students
    where age between 6 and 17

),

out_of_school as (

    select
        c.province_code,
        c.district_code,
        c.academic_year,
        c.sex,
        case when c.age <= 11 then '6-11' when c.age <= 14 then '12-14' else '15-17' end as age_group,
        case when c.age <= 14 then 1 else 0 end as is_compulsory_age,
        c.population_of_age,
        c.out_of_school_net
    from school_age_cells as c
    inner join population_years as py
        on c.province_code = py.province_code and c.academic_year = py.academic_year

)

{% for level in ['pre_primary', 'primary', 'lower_secondary', 'upper_secondary'] %}
{{ breakdown_components('enrolment_ratios', 'ger_' ~ level, 'enrolled_any_age', 'population_of_age', ['sex'],
                        where="level = '" ~ level ~ "'") }}
union all
{{ breakdown_components('enrolment_ratios', 'ner_' ~ level, 'enrolled_of_age', 'population_of_age', ['sex'],
                        where="level = '" ~ level ~ "'") }}
union all
{% endfor %}
{{ breakdown_components('out_of_school', 'out_of_school_children', 'out_of_school_net', none,
                        ['age_group', 'sex']) }}
union all
{{ breakdown_components('out_of_school', 'out_of_school_rate', 'out_of_school_net', 'population_of_age',
                        ['age_group', 'sex']) }}
union all
{{ breakdown_components('out_of_school', 'out_of_school_rate_6_14', 'out_of_school_net',
                        'population_of_age', ['sex'], where='is_compulsory_age = 1') }}
