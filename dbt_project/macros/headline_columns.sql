{#- The headline indicators of the wide yearly marts: output column -> indicator_id (breakdown 'total').
    Each becomes three columns: <name>, <name>_prev and <name>_change. New entries go at the end, so the
    column order the publish code and exports see stays stable. -#}
{% macro headline_indicators() -%}
    {{ return([
        ('total_enrolment', 'enrolment'),
        ('ger_primary', 'ger_primary'),
        ('ner_primary', 'ner_primary'),
        ('ger_lower_secondary', 'ger_lower_secondary'),
        ('ner_lower_secondary', 'ner_lower_secondary'),
        ('dropout_rate', 'dropout_rate'),
        ('out_of_school_rate_6_14', 'out_of_school_rate_6_14'),
        ('share_small_schools', 'share_small_schools'),
        ('pupil_teacher_ratio', 'pupil_teacher_ratio'),
        ('share_teachers_trained', 'share_teachers_trained'),
        ('share_directors_trained', 'share_directors_trained'),
        ('share_poor_students', 'share_poor_students'),
        ('learning_space_users', 'learning_space_users'),
        ('learning_space_applying_share', 'learning_space_applying_share'),
        ('ger_pre_primary', 'ger_pre_primary'),
        ('ner_pre_primary', 'ner_pre_primary'),
        ('ger_upper_secondary', 'ger_upper_secondary'),
        ('ner_upper_secondary', 'ner_upper_secondary'),
        ('out_of_school_children', 'out_of_school_children'),
        ('out_of_school_rate', 'out_of_school_rate'),
        ('promotion_rate', 'promotion_rate'),
        ('repetition_rate', 'repetition_rate'),
        ('recorded_dropout_rate', 'recorded_dropout_rate'),
        ('transition_rate_p6_m1', 'transition_rate_p6_m1'),
        ('transition_rate_m3_m4', 'transition_rate_m3_m4'),
        ('share_extremely_poor_students', 'share_extremely_poor_students'),
        ('literacy_pass_rate', 'literacy_pass_rate'),
        ('minimum_proficiency_share', 'minimum_proficiency_share'),
        ('protection_cases', 'protection_cases'),
        ('protection_cases_closed_share', 'protection_cases_closed_share'),
    ]) }}
{%- endmacro %}

{#- Pivot long indicator rows (already filtered to breakdown_type 'total') into the headline columns. -#}
{% macro headline_columns() -%}
    {%- for name, indicator_id in headline_indicators() %}
    max(case when indicator_id = '{{ indicator_id }}' then value end) as {{ name }},
    max(case when indicator_id = '{{ indicator_id }}' then value_prev_year end) as {{ name }}_prev,
    max(case when indicator_id = '{{ indicator_id }}' then change end) as {{ name }}_change
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
