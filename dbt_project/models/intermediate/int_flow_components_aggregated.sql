-- Components of the flow indicators, reported on year t from the traced rosters of t and t+1 (definitions:
-- the model YAML). UIS reconstructed cohort method: promotion + repetition + dropout = 100 % of E(g, t),
-- graduates of a final grade count as promotees, and every other student not found in t+1 is a dropout
-- (closed system); recorded_dropout_rate keeps only students recorded as dropped out.
with flows as (

    select
        province_code,
        district_code,
        academic_year,
        level,
        grade,
        sex,
        affiliation,
        poverty,
        next_grade,
        1 as enrolled,
        case when outcome in ('promoted', 'graduated') then 1 else 0 end as promoted,
        case when outcome = 'repeated' then 1 else 0 end as repeated,
        case when outcome in ('dropped_out', 'transferred_out_of_area', 'untraced') then 1 else 0 end
            as left_school,
        case when outcome = 'dropped_out' then 1 else 0 end as recorded_dropout,
        -- effective transition rate: repeaters of the final grade leave the denominator
        case when outcome = 'repeated' then 0 else 1 end as not_repeating
    from {{ ref('int_student_flows_traced') }}

),

transitions as (

    select
        flows.*,
        case when grade = 'P6' and next_grade = 'M1' then 1 else 0 end as entered_m1,
        case when grade = 'M3' and next_grade in ('M4', 'V1') then 1 else 0 end as entered_m4
    from flows

)

{% set flow_breakdowns = ['level', 'grade', 'sex', 'affiliation', 'poverty'] %}
{{ breakdown_components('flows', 'promotion_rate', 'promoted', 'enrolled', flow_breakdowns) }}
union all
{{ breakdown_components('flows', 'repetition_rate', 'repeated', 'enrolled', flow_breakdowns) }}
union all
{{ breakdown_components('flows', 'dropout_rate', 'left_school', 'enrolled', flow_breakdowns) }}
union all
{{ breakdown_components('flows', 'recorded_dropout_rate', 'recorded_dropout', 'enrolled', flow_breakdowns) }}
union all
{{ breakdown_components('transitions', 'transition_rate_p6_m1', 'entered_m1', 'not_repeating',
                        ['sex', 'affiliation', 'poverty'], where="grade = 'P6'") }}
union all
{{ breakdown_components('transitions', 'transition_rate_m3_m4', 'entered_m4', 'not_repeating',
                        ['sex', 'affiliation', 'poverty'], where="grade = 'M3'") }}
