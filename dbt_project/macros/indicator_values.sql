{#- The CTE chain shared by fct_province_indicators and fct_district_indicators. It ends in a CTE named
    indicator_values with the grain columns, academic_year, indicator_id, breakdown_type, breakdown_value,
    value, numerator, denominator, value_prev_year, change, suppressed_reason, unit.
      1. sum the district-grain components to `grain` (so rates are ratios of sums); a summed numerator
         below zero becomes zero (only the out-of-school net, population minus enrolment, can be negative),
      2. value: count -> the numerator; percent -> 100 * num / den; ratio -> num / den. Percent rates whose
         denominator is below var min_denominator are suppressed (value null, suppressed_reason set); a
         ratio (pupil-teacher) is withheld only without a denominator,
      3. UIS adjusted parity index for every percent indicator broken down by sex (F/M), poverty (poor incl.
         extremely poor / not poor incl. not screened) and affiliation (OBEC / all other affiliations),
         computed from the two groups' summed components; numerator and denominator then hold the two
         group rates, and the index is suppressed when either group's denominator is small,
      4. the same row of the previous academic year, and the change. -#}
{% macro indicator_value_ctes(grain) -%}
{%- set grain_list = grain | join(', ') -%}
components as (

    select * from {{ ref('int_indicator_components_unioned') }}
    {%- for column in grain %}
    {{ 'where' if loop.first else 'and' }} {{ column }} is not null
    {%- endfor %}

),

definitions as (

    select indicator_id, unit from {{ ref('indicator_definitions') }}

),

summed as (

    select
        {{ grain_list }},
        academic_year,
        indicator_id,
        breakdown_type,
        breakdown_value,
        case when sum(numerator) < 0 then 0 else sum(numerator) end as numerator,
        sum(denominator) as denominator
    from components
    group by {{ grain_list }}, academic_year, indicator_id, breakdown_type, breakdown_value

),

checked as (

    select
        s.*,
        d.unit,
        case when d.unit = 'count' then null
             when d.unit = 'ratio' then {{ suppress_missing('s.denominator') }}
             else {{ suppress_small('s.denominator', 's.denominator') }} end as suppressed_reason
    from summed as s
    inner join definitions as d on s.indicator_id = d.indicator_id

),

valued as (

    select
        {{ grain_list }},
        academic_year,
        indicator_id,
        breakdown_type,
        breakdown_value,
        case
            when unit = 'count' then numerator
            when suppressed_reason is not null then null
            when unit = 'percent' then {{ safe_rate('numerator', 'denominator', 100) }}
            else {{ safe_rate('numerator', 'denominator') }}
        end as value,
        numerator,
        denominator,
        suppressed_reason,
        unit
    from checked

),

parity_groups as (

    select
        {{ grain_list }},
        academic_year,
        indicator_id,
        breakdown_type,
        sum(case when {{ _parity_group_a() }} then numerator else 0 end) as numerator_a,
        sum(case when {{ _parity_group_a() }} then denominator else 0 end) as denominator_a,
        sum(case when {{ _parity_group_b() }} then numerator else 0 end) as numerator_b,
        sum(case when {{ _parity_group_b() }} then denominator else 0 end) as denominator_b
    from checked
    where unit = 'percent' and breakdown_type in ('sex', 'poverty', 'affiliation')
    group by {{ grain_list }}, academic_year, indicator_id, breakdown_type

),

parity_rates as (

    select
        parity_groups.*,
        {{ safe_rate('numerator_a', 'denominator_a', 100) }} as rate_a,
        {{ safe_rate('numerator_b', 'denominator_b', 100) }} as rate_b,
        coalesce({{ suppress_small('denominator_a', 'denominator_a') }},
                 {{ suppress_small('denominator_b', 'denominator_b') }}) as suppressed_reason
    from parity_groups
    where denominator_a > 0 and denominator_b > 0

),

parity as (

    select
        {{ grain_list }},
        academic_year,
        indicator_id || '_parity_index' as indicator_id,
        breakdown_type,
        case breakdown_type when 'sex' then 'F/M' when 'poverty' then 'poor/not_poor' else 'OBEC/other' end
            as breakdown_value,
        case when suppressed_reason is null then {{ adjusted_parity_index('rate_a', 'rate_b') }} end as value,
        rate_a as numerator,
        rate_b as denominator,
        suppressed_reason,
        'index' as unit
    from parity_rates

),

all_values as (

    select * from valued
    union all
    select * from parity

),

indicator_values as (

    select
        {%- for column in grain %}
        cur.{{ column }},
        {%- endfor %}
        cur.academic_year,
        cur.indicator_id,
        cur.breakdown_type,
        cur.breakdown_value,
        {{ round4('cur.value') }} as value,
        {{ round4('cur.numerator') }} as numerator,
        {{ round4('cur.denominator') }} as denominator,
        {{ round4('prev.value') }} as value_prev_year,
        {{ round4('cur.value - prev.value') }} as change,
        cur.suppressed_reason,
        cur.unit
    from all_values as cur
    left join all_values as prev
        on cur.academic_year - 1 = prev.academic_year
        {%- for column in grain %}
        and cur.{{ column }} = prev.{{ column }}
        {%- endfor %}
        and cur.indicator_id = prev.indicator_id
        and cur.breakdown_type = prev.breakdown_type
        and cur.breakdown_value = prev.breakdown_value

)
{%- endmacro %}

{% macro _parity_group_a() -%}
    (case breakdown_type
        when 'sex' then breakdown_value = 'F'
        when 'poverty' then breakdown_value in ('poor', 'extremely_poor')
        else breakdown_value = 'OBEC' end)
{%- endmacro %}

{% macro _parity_group_b() -%}
    (case breakdown_type
        when 'sex' then breakdown_value = 'M'
        when 'poverty' then breakdown_value not in ('poor', 'extremely_poor', 'unknown')
        else breakdown_value <> 'OBEC' end)
{%- endmacro %}
