{#- Fails for every missing value in any of `columns` (a model's not-null columns, one node and one scan:
    see failing_rows_per_column). -#}
{% test not_null_columns(model, columns) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set conditions = {} %}
{%- for column in columns %}{% do conditions.update({column: column ~ ' is null'}) %}{% endfor %}
{{ failing_rows_per_column(model, conditions) }}
{% endtest %}
