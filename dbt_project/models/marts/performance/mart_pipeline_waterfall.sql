-- The pipeline waterfall (docs/METRICS.md "Pipeline waterfall"): per rep, team and company x
-- month and fiscal quarter, where the period's pipeline came from and went: open at the
-- start + created + pulled in + reopened + transferred in + increases - decreases - pushed
-- out - won - lost - deleted - transferred out = open at the end, in deals and in amount.
{%- set moves = [
    ('start', 'pipeline_start'),
    ('created', 'created'),
    ('pulled_in', 'pulled_in'),
    ('reopened', 'reopened'),
    ('transferred_in', 'transferred_in'),
    ('increase', 'increase'),
    ('decrease', 'decrease'),
    ('pushed_out', 'pushed_out'),
    ('won', 'won'),
    ('lost', 'lost'),
    ('deleted', 'deleted'),
    ('transferred_out', 'transferred_out'),
    ('end', 'pipeline_end'),
] %}
with reps as (
    select * from {{ rep_identities() }} as r
),

periods as (
    select period_type, period_start, period_end_date from {{ ref('int_reporting_periods') }}
),

-- the deals' moves summed by period, owners and kind of move first: a few rows per owner and
-- period to credit, not one per deal
deal_moves as (
    select
        period_type,
        period_start,
        row_kind,
        crm_source,
        previous_owner_id,
        owner_id,
        was_in_pipeline,
        is_in_pipeline,
        entry_move,
        exit_move,
        case
            when amount_home > previous_amount_home then 'increase'
            when amount_home < previous_amount_home then 'decrease'
        end as amount_move,
        count(*) as deals,
        sum(previous_amount_home) as previous_amount_home,
        sum(amount_home) as amount_home
    from {{ ref('int_deal_pipeline_moves') }}
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
),
{% for grain in rep_grains() %}

{{ grain }}_moves as (
    select
        m.*,
        {{ rep_group_key(grain, 'b') }} as group_before,
        {{ rep_group_key(grain, 'a') }} as group_after
    from deal_moves as m
    left join reps as b on b.crm_source = m.crm_source and b.owner_id = m.previous_owner_id
    left join reps as a on a.crm_source = m.crm_source and a.owner_id = m.owner_id
),

-- One row per kind of move and the group it counts for: a deal handed between two reps (two
-- teams) leaves one and enters the other; an amount edited counts where the deal is after it.
{{ grain }}_sides as (
    select group_after as group_id, period_type, period_start, row_kind as move, deals, amount_home as amount
    from {{ grain }}_moves
    where row_kind in ('start', 'end')
    union all
    select
        case when is_in_pipeline then group_after else group_before end,
        period_type,
        period_start,
        amount_move,
        deals,
        abs(amount_home - previous_amount_home)
    from {{ grain }}_moves
    where row_kind = 'change' and was_in_pipeline and amount_move is not null
    union all
    select group_before, period_type, period_start, 'transferred_out', deals, previous_amount_home
    from {{ grain }}_moves
    where row_kind = 'change' and was_in_pipeline and is_in_pipeline
        and group_before is distinct from group_after
    union all
    select group_after, period_type, period_start, 'transferred_in', deals, previous_amount_home
    from {{ grain }}_moves
    where row_kind = 'change' and was_in_pipeline and is_in_pipeline
        and group_before is distinct from group_after
    union all
    select group_before, period_type, period_start, exit_move, deals, amount_home
    from {{ grain }}_moves
    where row_kind = 'change' and was_in_pipeline and not is_in_pipeline
    union all
    select group_after, period_type, period_start, entry_move, deals, amount_home
    from {{ grain }}_moves
    where row_kind = 'change' and not was_in_pipeline and is_in_pipeline
),

{{ grain }}_totals as (
    select
        group_id,
        period_type,
        period_start
        {%- for move, column in moves %},
        sum(case when move = '{{ move }}' then deals else 0 end) as {{ column }}_deals,
        sum(case when move = '{{ move }}' then amount else 0 end) as {{ column }}_amount
        {%- endfor %}
    from {{ grain }}_sides
    where group_id is not null
    group by group_id, period_type, period_start
),

{{ grain }}_groups as (
    select distinct {{ rep_group_key(grain, 'r') }} as group_id from reps as r
),

{{ grain }}_rows as (
    select
        '{{ grain }}' as aggregation_level,
        g.group_id,
        p.period_type,
        p.period_start,
        p.period_end_date
        {%- for move, column in moves %},
        coalesce(t.{{ column }}_deals, 0) as {{ column }}_deals,
        coalesce(t.{{ column }}_amount, 0) as {{ column }}_amount
        {%- endfor %}
    from {{ grain }}_groups as g
    cross join periods as p
    left join {{ grain }}_totals as t
        on t.group_id = g.group_id and t.period_type = p.period_type and t.period_start = p.period_start
    where g.group_id is not null
),
{% endfor %}

all_rows as (
    {{- grain_rows_union('rows') }}
)

select
    {{ surrogate_key(['w.aggregation_level', 'w.group_id', 'w.period_type', 'w.period_start']) }}
        as waterfall_id,
    w.aggregation_level,
    w.period_type,
    w.period_start,
    w.period_end_date,
    {{ rep_group_columns('w') }}
    {%- for move, column in moves %},
    cast(w.{{ column }}_deals as integer) as {{ column }}_deals,
    w.{{ column }}_amount
    {%- endfor %}
from all_rows as w
{{ rep_group_joins('w') }}
