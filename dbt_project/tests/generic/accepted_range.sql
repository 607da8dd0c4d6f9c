{#- Fails for every row whose `column_name` lies outside [min_value, max_value] (either bound optional);
    nulls pass, as suppressed or absent values are null. One column with its own config (e.g. severity
    warn); a model's unconditional range rules are folded into accepted_ranges. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
select *
from {{ model }}
where {{ outside_range(column_name, min_value, max_value) }}
{% endtest %}
