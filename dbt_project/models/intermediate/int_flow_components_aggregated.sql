-- Components of the flow indicators (UIS reconstructed cohort: promotion, repetition, dropout by grade;
-- transition P6->M1 and M3->M4/V1), reported on year t, from the traced rosters of t and t+1.
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
        outcome,
        1 as enrolled,
        case when outcome = 'promoted' then 1 else 0 end as promoted,
        case when outcome = 'repeated' then 1 else 0 end as repeated,
        case when outcome = 'dropped_out' then 1 else 0 end as dropped_out
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
{{ breakdown_components('flows', 'dropout_rate', 'dropped_out', 'enrolled', flow_breakdowns) }}
union all
{{ breakdown_components('transitions', 'transition_rate_p6_m1', 'entered_m1', 'enrolled',
                        ['sex', 'affiliation', 'poverty'], where="grade = 'P6'") }}
union all
{{ breakdown_components('transitions', 'transition_rate_m3_m4', 'entered_m4', 'enrolled',
                        ['sex', 'affiliation', 'poverty'], where="grade = 'M3'") }}
