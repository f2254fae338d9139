{#- The LQ identity: Σ_j (q_jt / Q_t) · LQ_ijt = Σ_j q_ijt / Q_it = 1 for every industry-year, where
    the weights are the provinces' shares of national industrial output. It fails (one row per
    industry-year, with a message) when a province has industry output but no industrial output or
    vice versa, or when the totals are inconsistent. An industry-year where no row has an LQ (its
    industrial output is not loaded at all: partial coverage, see null_reason) has no inputs and is
    not checked. -#}
{% test location_quotient_weighted_mean_is_one(
    model,
    column_name='location_quotient',
    weight_numerator='province_industrial_output_yuan',
    weight_denominator='national_industrial_output_yuan',
    group_by=['industry_code', 'year'],
    tolerance=1e-6
) %}
{{ config(store_failures=true, schema='test_failures') }}
    with weighted as (
        select
            {{ group_by | join(", ") }},
            sum({{ weight_numerator }} / {{ weight_denominator }} * {{ column_name }})
                as weighted_mean_lq,
            count(*) as n_rows,
            count({{ column_name }}) as n_lq
        from {{ model }}
        group by {{ group_by | join(", ") }}
    )

    select
        'output-weighted mean {{ column_name }} of '
        || concat_ws(' ', {{ group_by | join(", ") }})
        || ' = ' || coalesce(cast(round(weighted_mean_lq, 9) as varchar), 'NULL')
        || ' (expected 1 ± {{ tolerance }}; ' || cast(n_lq as varchar) || ' of '
        || cast(n_rows as varchar) || ' provinces have an LQ)' as failure_message,
        *
    from weighted
    where n_lq > 0 and (weighted_mean_lq is null or abs(weighted_mean_lq - 1) > {{ tolerance }})
{% endtest %}
