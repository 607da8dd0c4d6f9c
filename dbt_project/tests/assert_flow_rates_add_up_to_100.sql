-- UIS reconstructed cohort: promotion + repetition + dropout = 100 % of E(g, t) for every province, year and
-- breakdown, i.e. the three numerators add up to the shared denominator.
with flows as (

    select province, academic_year, breakdown_type, breakdown_value, indicator_id, numerator, denominator
    from {{ ref('fct_province_indicators') }}
    where indicator_id in ('promotion_rate', 'repetition_rate', 'dropout_rate')

)

select province, academic_year, breakdown_type, breakdown_value
from flows
group by province, academic_year, breakdown_type, breakdown_value
having count(*) <> 3
    or max(denominator) <> min(denominator)
    or abs(sum(numerator) - max(denominator)) > 0.0001
