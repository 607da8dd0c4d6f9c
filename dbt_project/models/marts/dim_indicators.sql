-- Every indicator_id that fct_province_indicators / fct_district_indicators can hold: the definitions seed
-- plus one adjusted parity index per percent indicator, with programme targets where the programme set one.
with definitions as (

    select * from {{ ref('indicator_definitions') }}

),

targets as (

    select * from {{ ref('programme_targets') }}

),

parity as (

    select
        indicator_id || '_parity_index' as indicator_id,
        'ดัชนีความเท่าเทียม (ปรับ) ' || name_th as name_th,
        'Adjusted parity index, ' || name_en as name_en,
        'UIS adjusted parity index of ' || name_en || ' between two groups: F vs M (breakdown sex), poor or '
            || 'extremely poor vs not poor (poverty), OBEC vs other affiliations (affiliation). 1 = parity; '
            || 'below 1 the first group has the lower rate.' as definition,
        'API = a / b if a <= b, else 2 - b / a (a, b: the two group rates)' as formula,
        'Rate of the first group (F, poor, OBEC)' as numerator_definition,
        'Rate of the second group (M, not poor, other affiliations)' as denominator_definition,
        source,
        'UNESCO UIS glossary: Adjusted parity index; SDG 4.5.1' as reference,
        'index' as unit,
        cast(null as boolean) as higher_is_better
    from definitions
    where unit = 'percent'

),

all_indicators as (

    select indicator_id, name_th, name_en, definition, formula, numerator_definition, denominator_definition,
           source, reference, unit, higher_is_better
    from definitions
    union all
    select * from parity

)

select
    i.indicator_id,
    i.name_th,
    i.name_en,
    i.definition,
    i.formula,
    i.numerator_definition,
    i.denominator_definition,
    i.source,
    i.reference,
    i.unit,
    t.target_value,
    i.higher_is_better,
    t.applies_to as target_applies_to
from all_indicators as i
left join targets as t on i.indicator_id = t.indicator_id
