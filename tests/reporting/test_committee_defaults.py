"""The committee paper's default period is the last full quarter, and charts whose maximum is 0
(or small counts) have whole-number axes."""
from datetime import date

from reporting.charts import nice_scale
from reporting.figures import Period, last_full_quarter


def test_the_default_period_is_the_last_full_quarter():
    assert last_full_quarter(date(2026, 12, 6)) == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert last_full_quarter(date(2026, 1, 1)) == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert last_full_quarter(date(2026, 4, 30)) == Period(date(2026, 1, 1), date(2026, 3, 31))


def test_a_chart_with_nothing_to_show_has_a_sensible_axis():
    assert nice_scale(0, 0) == [0, 1, 2, 3, 4, 5]
    assert nice_scale(0, 3) == [0, 1, 2, 3]
    assert all(float(t).is_integer() for t in nice_scale(0, 2, min_step=1))  # counts
    assert nice_scale(-0.4, 0.8) == [-0.5, -0.25, 0, 0.25, 0.5, 0.75, 1.0]  # fractions stay fractions
