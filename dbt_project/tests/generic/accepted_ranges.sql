{#- Fails for every value outside its column's range; `ranges`: column → {min_value, max_value} (either
    optional; nulls pass). A model's unconditional range rules as one node and one scan: see
    failing_rows_per_column. -#}
{% test accepted_ranges(model, ranges) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set conditions = {} %}
{%- for column, bounds in ranges.items() %}
{%- do conditions.update({column: outside_range(column, bounds.get('min_value'), bounds.get('max_value'))}) %}
{%- endfor %}
{{ failing_rows_per_column(model, conditions) }}
{% endtest %}
