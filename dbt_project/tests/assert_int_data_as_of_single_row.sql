-- int_data_as_of describes one point in time: exactly one row, and its as-of instant is 00:00 (reporting
-- time zone) of the day after the newest change, so it lies after that change and at most a day later.
select count(*) as row_count, max(newest_change_at) as newest_change_at, max(as_of_at) as as_of_at
from {{ ref('int_data_as_of') }}
having count(*) <> 1
   or max(as_of_at) <= max(newest_change_at)
   or max(as_of_at) > {{ dbt.dateadd('day', 1, 'max(newest_change_at)') }}
