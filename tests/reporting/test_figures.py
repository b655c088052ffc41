"""The report arithmetic on plain numbers, checked by hand."""
from datetime import date

import pytest

from reporting import figures
from reporting.figures import Growth, Period


def test_growth_of_seed_000s_facebook_likes():
    # 3,294 − 2,256 = 1,038; 1,038 / 2,256 = 0.46010… → 46.0%
    g = Growth(2256, 3294)
    assert g.change == 1038
    assert g.percent == pytest.approx(46.0106, abs=1e-4)
    assert figures.fmt_signed_percent(g.percent) == "+46.0%"


def test_growth_down_and_none_safe():
    # 200 → 150: −50; −50 / 200 = −25%
    assert Growth(200, 150).change == -50 and Growth(200, 150).percent == -25.0
    assert Growth(None, 150).change is None and Growth(None, 150).percent is None
    assert Growth(150, None).percent is None
    # From 0 there is a change but no percentage.
    assert Growth(0, 120).change == 120 and Growth(0, 120).percent is None


def test_growth_total_adds_only_channels_known_at_both_ends():
    # (7,680 + 2,400) → (10,597 + 3,500) = 10,080 → 14,097: +4,017, 4,017 / 10,080 = 39.85%
    total = figures.growth_total([Growth(7680, 10597), Growth(2400, 3500), Growth(None, 1500)])
    assert (total.before, total.after, total.change) == (10080, 14097, 4017)
    assert figures.fmt_percent(total.percent) == "39.9%"
    assert figures.growth_total([Growth(None, 5)]).change is None


def test_median_and_90th_percentile_by_linear_interpolation():
    hours = [10, 1, 4, 2, 3]  # sorted: 1, 2, 3, 4, 10
    # median: h = (5 − 1) × 0.5 = 2 → x[2] = 3
    assert figures.median(hours) == 3
    # p90: h = (5 − 1) × 0.9 = 3.6 → x[3] + 0.6 × (x[4] − x[3]) = 4 + 0.6 × 6 = 7.6
    assert figures.percentile(hours, 90) == pytest.approx(7.6)
    # Even count: median of 0.5 and 1.5 is h = 0.5 → 0.5 + 0.5 × 1 = 1.0; p90: 0.5 + 0.9 × 1 = 1.4
    assert figures.median([1.5, 0.5]) == pytest.approx(1.0)
    assert figures.percentile([1.5, 0.5], 90) == pytest.approx(1.4)
    assert figures.percentile([7], 90) == 7
    assert figures.percentile([4, 8], 100) == 8 and figures.percentile([4, 8], 0) == 4
    assert figures.median([]) is None
    with pytest.raises(ValueError):
        figures.percentile([1], 101)


def test_shares():
    # 4 met, 2 late: 4 / 6 = 66.67%
    assert figures.fmt_percent(figures.sla_compliance(4, 2)) == "66.7%"
    # FOI: 3 on time, 2 late or overdue: 3 / 5 = 60%
    assert figures.on_time_share(3, 2) == 60.0
    assert figures.sla_compliance(0, 0) is None and figures.share(1, 0) is None


def test_rounding_is_half_up_as_people_round():
    assert figures.fmt_percent(0.25, 1) == "0.3%"  # round() would give 0.2
    assert figures.fmt_number(2.5) == "3" and figures.fmt_number(1234567) == "1,234,567"
    assert figures.fmt_change(-50) == "-50" and figures.fmt_change(0) == "0" and figures.fmt_change(None) == "no data"


def test_periods_in_words_and_comparisons():
    april = Period(date(2016, 4, 1), date(2016, 4, 30))
    assert april.label == "April 2016" and april.days == 30
    assert april.year_before() == Period(date(2015, 4, 1), date(2015, 4, 30))
    assert april.previous() == Period(date(2016, 3, 2), date(2016, 3, 31))
    assert Period(date(2016, 1, 1), date(2016, 3, 31)).label == "January to March 2016"
    assert Period(date(2015, 4, 1), date(2016, 3, 31)).label == "April 2015 to March 2016"
    assert Period(date(2016, 1, 1), date(2016, 12, 31)).label == "2016"
    assert Period(date(2016, 5, 3), date(2016, 5, 17)).label == "3 to 17 May 2016"
    assert Period(date(2016, 2, 29), date(2016, 2, 29)).year_before().start == date(2015, 2, 28)
    with pytest.raises(ValueError):
        Period(date(2016, 4, 2), date(2016, 4, 1))
    assert figures.last_full_month(date(2016, 5, 18)) == april


def test_buckets():
    p = Period(date(2016, 3, 30), date(2016, 5, 2))
    assert figures.bucket_starts(p, "month") == [date(2016, 3, 1), date(2016, 4, 1), date(2016, 5, 1)]
    weeks = figures.bucket_starts(p, "week")
    assert weeks[0] == date(2016, 3, 28) and weeks[-1] == date(2016, 5, 2) and len(weeks) == 6
    assert len(figures.bucket_starts(p, "day")) == 34
    assert figures.bucket_label(date(2016, 3, 28), "week") == "Week from 28 March 2016"


def test_sentences_as_seed_000_puts_them():
    assert figures.growth_sentence("Facebook page likes", Growth(2256, 3294), between=("April 2015", "April 2016")) == (
        "Facebook page likes increased 46% between April 2015 and April 2016")
    # 25,000 → 34,000 views: 9,000 / 25,000 = 36%
    assert figures.growth_sentence("YouTube views", Growth(25000, 34000), compared_with="compared with April 2015") == (
        "YouTube views increased 36% compared with April 2015")
    assert figures.growth_sentence("X followers", Growth(200, 150), between=("a", "b")) == (
        "X followers decreased 25% between a and b")
    assert figures.growth_sentence("Mentions", Growth(0, 0), compared_with="then") == "Mentions did not change then"
    assert figures.growth_sentence("Mentions", Growth(0, 12), compared_with="then") == "Mentions went from 0 to 12 then"
    assert figures.growth_sentence("X", Growth(1000, 1003), compared_with="") == "X increased 0.3%"
    assert figures.growth_sentence("X", Growth(None, 3)) is None
