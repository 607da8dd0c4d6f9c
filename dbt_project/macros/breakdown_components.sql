{#- Indicator components in long form, at district grain: one 'total' row plus one row per value of each
    breakdown column, each with summed numerator and denominator (null denominator for counts).
    `relation` is a CTE or relation with columns province_code, district_code, academic_year and the
    breakdown columns, which are named after their breakdown_type (sex, level, grade, affiliation,
    poverty, age_group). Rates are computed later, from summed components, at the grain a mart needs. -#}
{% macro breakdown_components(relation, indicator_id, numerator, denominator=none, breakdowns=[], where=none) -%}
    {%- set groupings = [none] + breakdowns -%}
    {%- for breakdown in groupings %}
    select
        province_code,
        district_code,
        academic_year,
        cast('{{ indicator_id }}' as {{ dbt.type_string() }}) as indicator_id,
        cast('{{ breakdown or "total" }}' as {{ dbt.type_string() }}) as breakdown_type,
        {%- if breakdown %}
        coalesce(cast({{ breakdown }} as {{ dbt.type_string() }}), 'unknown') as breakdown_value,
        {%- else %}
        cast('all' as {{ dbt.type_string() }}) as breakdown_value,
        {%- endif %}
        cast(sum({{ numerator }}) as float8) as numerator,
        {%- if denominator is none %}
        cast(null as float8) as denominator
        {%- else %}
        cast(sum({{ denominator }}) as float8) as denominator
        {%- endif %}
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by province_code, district_code, academic_year{% if breakdown %}, {{ breakdown }}{% endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
