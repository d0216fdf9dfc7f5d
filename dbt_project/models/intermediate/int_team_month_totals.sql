-- Counts, sums and medians per team x reporting month; the mart derives every rate from these.
{{ month_totals('team') }}
