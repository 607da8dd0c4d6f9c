-- DOPA registered population of the four provinces by district, single year of age, sex and academic
-- year, with the school-age group and the level whose official age it is.
with population as (

    select province_code, district_code, academic_year, age, sex, sum(persons) as persons
    from {{ ref('stg_raw__population_counts') }}
    group by province_code, district_code, academic_year, age, sex

),

level_ages as (

    select level, min(official_age) as min_age, max(official_age) as max_age
    from {{ ref('grades') }}
    group by level

)

select
    pop.district_code,
    pop.academic_year,
    pop.age,
    pop.sex,
    p.province,
    pop.province_code,
    case when pop.age between 6 and 11 then '6-11' when pop.age between 12 and 14 then '12-14'
         when pop.age between 15 and 17 then '15-17' end as age_group,
    la.level as official_age_level,
    cast(pop.persons as integer) as persons
from population as pop
inner join {{ ref('geo_provinces') }} as p on pop.province_code = p.province_code
left join level_ages as la on pop.age between la.min_age and la.max_age
