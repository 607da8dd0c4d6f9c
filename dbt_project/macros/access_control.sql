{#- Per-province access on PostgreSQL (no-op on DuckDB, which has no roles).
    Every mart table is re-created by each build, so its grants and row-level-security policies are
    re-applied by this post-hook each time: a provincial office role sees only its province's rows, the
    analyst role sees all rows, neither sees anything outside `marts` (no grant on raw, staging or
    intermediate). Roles are created once by `edusandbox pg-access`; a role that does not exist yet is
    skipped rather than failing the build. -#}

{% macro office_roles() %}
    {{ return({
        'mae_hong_son': ('edusandbox_office_mae_hong_son', '58'),
        'sukhothai': ('edusandbox_office_sukhothai', '64'),
        'satun': ('edusandbox_office_satun', '91'),
        'yala': ('edusandbox_office_yala', '95'),
    }) }}
{% endmacro %}

{% macro analyst_role() %}{{ return('edusandbox_analyst') }}{% endmacro %}

{#- Schema usage once per run (on-run-end): granting it from the per-table hooks of parallel threads makes
    PostgreSQL fail with "tuple concurrently updated". -#}
{% macro grant_mart_schema_usage() %}
    {%- if target.type != 'postgres' -%}
        {{ return('select 1') }}
    {%- endif %}
    do $access$
    begin
        {% for role in (office_roles().values() | map(attribute=0) | list) + [analyst_role()] %}
        if exists (select 1 from pg_roles where rolname = '{{ role }}')
           and exists (select 1 from pg_namespace where nspname = 'marts') then
            execute 'grant usage on schema marts to {{ role }}';
        end if;
        {% endfor %}
    end
    $access$
{% endmacro %}

{% macro apply_mart_access() %}
    {%- if target.type != 'postgres' or not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if 'province' in columns -%}
        {%- set province_column, key = 'province', 0 -%}
    {%- elif 'province_code' in columns -%}
        {%- set province_column, key = 'province_code', 1 -%}
    {%- else -%}
        {%- set province_column = none -%}
    {%- endif %}
    do $access$
    begin
        {% if province_column %}
        execute 'alter table {{ this }} enable row level security';
        {% endif %}
        {% for province, role in office_roles().items() %}
        if exists (select 1 from pg_roles where rolname = '{{ role[0] }}') then
            execute 'grant select on {{ this }} to {{ role[0] }}';
            {% if province_column %}
            execute 'create policy office_{{ province }} on {{ this }} for select to {{ role[0] }} '
                    'using ({{ province_column }} = ''{{ province if key == 0 else role[1] }}'')';
            {% endif %}
        end if;
        {% endfor %}
        if exists (select 1 from pg_roles where rolname = '{{ analyst_role() }}') then
            execute 'grant select on {{ this }} to {{ analyst_role() }}';
            {% if province_column %}
            execute 'create policy analyst_all_rows on {{ this }} for select to {{ analyst_role() }} using (true)';
            {% endif %}
        end if;
    end
    $access$
{% endmacro %}
