-- Every indicator_id that fct_province_indicators / fct_district_indicators can hold: the definitions seed
-- plus one adjusted parity index per percent indicator broken down by sex, poverty or affiliation, with
-- programme targets where the programme set one.
with definitions as (

    select * from {{ ref('indicator_definitions') }}

),

targets as (

    select * from {{ ref('programme_targets') }}

),

-- The parity groups an indicator has: the breakdowns among sex, poverty and affiliation it is cut by.
parity_breakdowns as (

    select
        indicator_id,
        trim(
            case when ' ' || breakdowns || ' ' like '% sex %' then 'sex ' else '' end
            || case when ' ' || breakdowns || ' ' like '% poverty %' then 'poverty ' else '' end
            || case when ' ' || breakdowns || ' ' like '% affiliation %' then 'affiliation' else '' end
        ) as breakdowns
    from definitions
    where unit = 'percent'

),

parity as (

    select
        d.indicator_id || '_parity_index' as indicator_id,
        'ดัชนีความเท่าเทียม (ปรับ) ' || d.name_th as name_th,
        'Adjusted parity index, ' || d.name_en as name_en,
        'UIS adjusted parity index of ' || d.name_en || ' between two groups: F vs M (breakdown sex), poor or '
            || 'extremely poor vs not poor (poverty), OBEC vs other affiliations (affiliation). 1 = parity; '
            || 'below 1 the first group has the lower rate.' as definition,
        'API = a / b if a <= b, else 2 - b / a (a, b: the two group rates)' as formula,
        'Rate of the first group (F, poor, OBEC)' as numerator_definition,
        'Rate of the second group (M, not poor, other affiliations)' as denominator_definition,
        d.source,
        'UNESCO UIS glossary: Adjusted parity index; SDG 4.5.1' as reference,
        'index' as unit,
        cast(null as boolean) as higher_is_better,
        pb.breakdowns
    from definitions as d
    inner join parity_breakdowns as pb on d.indicator_id = pb.indicator_id
    where pb.breakdowns <> ''

),

all_indicators as (

    select indicator_id, name_th, name_en, definition, formula, numerator_definition, denominator_definition,
           source, reference, unit, higher_is_better, breakdowns
    from definitions
    union all
    select indicator_id, name_th, name_en, definition, formula, numerator_definition, denominator_definition,
           source, reference, unit, higher_is_better, breakdowns
    from parity

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
    t.applies_to as target_applies_to,
    coalesce(i.breakdowns, '') as breakdowns
from all_indicators as i
left join targets as t on i.indicator_id = t.indicator_id
