-- The waterfall adds up, in deals and in amount, on every row: open at the start + created +
-- pulled in + reopened + transferred in + increases - decreases - pushed out - won - lost -
-- deleted - transferred out = open at the end. Returns the rows that do not, exactly.
{%- set ins = ['created', 'pulled_in', 'reopened', 'transferred_in'] %}
{%- set outs = ['pushed_out', 'won', 'lost', 'deleted', 'transferred_out'] %}
select
    waterfall_id,
    pipeline_start_deals,
    pipeline_end_deals,
    pipeline_start_amount,
    pipeline_end_amount
from {{ ref('mart_pipeline_waterfall') }}
where pipeline_start_deals
        {%- for m in ins %} + {{ m }}_deals{% endfor %}
        {%- for m in outs %} - {{ m }}_deals{% endfor %}
        <> pipeline_end_deals
    or pipeline_start_amount
        {%- for m in ins %} + {{ m }}_amount{% endfor %} + increase_amount - decrease_amount
        {%- for m in outs %} - {{ m }}_amount{% endfor %}
        <> pipeline_end_amount
