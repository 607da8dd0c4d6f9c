{#- Per-column rules checked in one scan of `model`: one row per column whose condition holds on any row
    (`column_name`, `failing_rows`), none when every row passes. A test per column would scan the model (a
    staging view: compute it) once per column and cost dbt a node each; the tests that fold per-column
    rules into one node (not_null_columns, accepted_ranges, accepted_values_columns) count failures as
    `sum(failing_rows)`, the per-column tests' counts added up. `conditions`: column → SQL condition of a
    failing row. -#}
{% macro failing_rows_per_column(model, conditions) %}
with failing as (
    select
    {%- for condition in conditions.values() %}
        sum(case when {{ condition }} then 1 else 0 end) as failing_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for column in conditions %}
select '{{ column }}' as column_name, failing_{{ loop.index }} as failing_rows
from failing
where failing_{{ loop.index }} > 0
{{- " union all" if not loop.last }}
{%- endfor %}
{% endmacro %}

{#- A value outside [min_value, max_value] (either bound optional); nulls pass, as suppressed or absent
    values are null. -#}
{% macro outside_range(column_name, min_value=none, max_value=none) -%}
{{ column_name }} is not null and (false
{%- if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
{%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %})
{%- endmacro %}
