-- Counts, sums and medians per rep x reporting month; the mart derives every rate from these.
{{ month_totals('rep') }}
