"""Fixed dates of the report tests: April 2016 against April 2015, as seed 000's committee."""
from datetime import date, datetime, timedelta

from django.utils import timezone

from reporting.figures import Period

APRIL_2016 = Period(date(2016, 4, 1), date(2016, 4, 30))
APRIL_2015 = Period(date(2015, 4, 1), date(2015, 4, 30))
NOW = timezone.make_aware(datetime(2016, 5, 18, 12, 0))  # the day seed 000 went to committee
PERIOD_PARAMS = {"start_day": 1, "start_month": 4, "start_year": 2016, "end_day": 30, "end_month": 4, "end_year": 2016}
API_PARAMS = {"start": "2016-04-01", "end": "2016-04-30"}


def at(day: date, hour: float = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day)) + timedelta(hours=hour)
