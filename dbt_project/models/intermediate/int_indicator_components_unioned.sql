-- Every indicator component in one long table: province, district, year, indicator, breakdown, with the
-- numerator and denominator summed at district grain. Marts sum these to their own grain and only then
-- divide, so a province rate is never an average of district rates.
{% set parts = ['int_enrolment_components_aggregated', 'int_population_components_aggregated',
                'int_flow_components_aggregated', 'int_teacher_components_aggregated',
                'int_learning_components_aggregated', 'int_protection_components_aggregated'] %}
{% for part in parts %}
select province_code, district_code, academic_year, indicator_id, breakdown_type, breakdown_value,
       numerator, denominator
from {{ ref(part) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
