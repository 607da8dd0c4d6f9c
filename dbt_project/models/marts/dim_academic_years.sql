-- Academic years present in any delivery, Buddhist Era and Common Era (2566 BE = school year 2023-24,
-- starting 16 May 2023).
with years as (

    {% set staged = ['stg_raw__schools', 'stg_raw__students', 'stg_raw__enrolment_counts', 'stg_raw__teachers',
                     'stg_raw__learning_space_logs', 'stg_raw__population_counts', 'stg_raw__assessment_results',
                     'stg_raw__literacy_screenings', 'stg_raw__poverty_screenings', 'stg_raw__training_records',
                     'stg_raw__protection_cases'] %}
    {% for model in staged %}
    select academic_year from {{ ref(model) }}
    {% if not loop.last %}union{% endif %}
    {% endfor %}

)

select
    academic_year,
    academic_year - 543 as academic_year_ce_start,
    academic_year - 542 as academic_year_ce_end,
    cast(academic_year as {{ dbt.type_string() }}) || ' (' || cast(academic_year - 543 as {{ dbt.type_string() }})
        || '-' || substr(cast(academic_year - 542 as {{ dbt.type_string() }}), 3, 2) || ')' as label,
    cast(cast(academic_year - 543 as {{ dbt.type_string() }}) || '-05-16' as date) as starts_on
from years
