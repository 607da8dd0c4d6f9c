{#- Materialise into the schema named in the config (staging, intermediate, marts) as is, with no
    target-name prefix: the warehouse layout must be the same on DuckDB and PostgreSQL.

    Write-audit-publish: the pipeline passes `--vars '{marts_build_schema: marts_build}'`, so its builds write
    the marts into `marts_build`; only when every model and error-severity test passed does it promote them into
    `marts` (pipelines/resources/warehouse.py: promote_marts). A failing test therefore never replaces the marts
    provincial offices read. A plain `dbt build` (no var) writes `marts` directly. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' and var('marts_build_schema', none) -%}
        {{ var('marts_build_schema') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
