-- A deal is won or lost only when closed, never both; closed deals have a close date and open deals none.
select deal_id, is_closed, is_won, is_lost, closed_at
from {{ ref('fct_deals') }}
where (is_won and is_lost)
   or ((is_won or is_lost) and not is_closed)
   or (is_closed and closed_at is null)
   or (not is_closed and closed_at is not null)
   or closed_at < created_at
