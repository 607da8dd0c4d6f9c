{#- Fails for every value not in its column's list; `values`: column → accepted values (compared as text
    literals, as dbt's accepted_values quotes them; nulls pass). A model's value lists as one node and one
    scan: see failing_rows_per_column. -#}
{% test accepted_values_columns(model, values) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set conditions = {} %}
{%- for column, accepted in values.items() %}
{%- set literals = [] %}
{%- for value in accepted %}{% do literals.append("'" ~ (value | string | replace("'", "''")) ~ "'") %}{% endfor %}
{%- do conditions.update({column: column ~ " is not null and " ~ column ~ " not in (" ~ literals | join(", ") ~ ")"}) %}
{%- endfor %}
{{ failing_rows_per_column(model, conditions) }}
{% endtest %}
