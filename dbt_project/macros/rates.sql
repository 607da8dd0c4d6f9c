{#- Rate arithmetic shared by every indicator model. All of it is plain SQL that DuckDB and PostgreSQL
    evaluate the same way: float8 is an alias of DOUBLE in DuckDB and of double precision in PostgreSQL. -#}

{#- numerator / denominator as a double; null when the denominator is null or zero. -#}
{% macro safe_rate(numerator, denominator, scale=1) -%}
    (case when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
          else {{ scale }} * cast({{ numerator }} as float8) / cast({{ denominator }} as float8) end)
{%- endmacro %}

{#- The reason a rate is withheld, or null when it may be published: denominator below var min_denominator. -#}
{% macro suppress_small(numerator, denominator) -%}
    (case when ({{ denominator }}) is null or ({{ denominator }}) = 0 then 'no denominator'
          when ({{ denominator }}) < {{ var('min_denominator', 10) }}
              then 'denominator ' || {{ format_number(denominator) }} || ' < ' || '{{ var("min_denominator", 10) }}'
          else null end)
{%- endmacro %}

{#- The reason a ratio is withheld: no (or a zero) denominator; null when it may be published. -#}
{% macro suppress_missing(denominator) -%}
    (case when ({{ denominator }}) is null or ({{ denominator }}) = 0 then 'no denominator' else null end)
{%- endmacro %}

{#- Whole numbers print without decimals, fractional ones (teacher FTE) with up to two. -#}
{% macro format_number(expression) -%}
    (case when ({{ expression }}) = floor({{ expression }})
          then cast(cast({{ expression }} as bigint) as {{ dbt.type_string() }})
          else cast(round(cast({{ expression }} as numeric(20, 6)), 2) as {{ dbt.type_string() }}) end)
{%- endmacro %}

{#- Round a double to 4 decimals identically on both databases (PostgreSQL has no round(double, int);
    DuckDB's bare NUMERIC means DECIMAL(18,3), hence the explicit precision). -#}
{% macro round4(expression) -%}
    cast(round(cast({{ expression }} as numeric(24, 8)), 4) as float8)
{%- endmacro %}

{#- UIS adjusted parity index of group a against group b (e.g. F against M):
    a / b when a <= b, otherwise 2 - b / a, so the index stays in [0, 2] and is symmetric around 1. -#}
{% macro adjusted_parity_index(a, b) -%}
    (case when ({{ a }}) is null or ({{ b }}) is null then null
          when ({{ a }}) <= ({{ b }}) then
              case when ({{ b }}) = 0 then null else cast({{ a }} as float8) / cast({{ b }} as float8) end
          else 2 - cast({{ b }} as float8) / cast({{ a }} as float8) end)
{%- endmacro %}
