"""Fixed report data with figures small enough to check by hand; the expected numbers are
worked out in the tests."""
import itertools
from datetime import date, timedelta

import pytest

from accounts.models import Channel
from accounts.roles import Role
from monitoring.models import Author, ChannelMetricSnapshot, Mention
from publishing.models import Post, PostTarget
from reporting.filters import ReportQuery
from tests.reporting.data import APRIL_2015, APRIL_2016, at
from triage.models import Case, FoiRequest, MentionRouting


@pytest.fixture
def query():
    def make(service=None, bucket="week", period=APRIL_2016, comparison=APRIL_2015):
        return ReportQuery(period=period, comparison=comparison, service=service, bucket=bucket)

    return make


@pytest.fixture
def youtube(services):
    return Channel.objects.create(platform="youtube", handle="@CouncilTV", display_name="Council TV",
                                  service=services["communications"], kind="corporate")


@pytest.fixture
def snapshots(channels, youtube):
    """Audience at the end of each April and running totals either side of each April."""
    def snap(channel, day, **figures):
        ChannelMetricSnapshot.objects.create(channel=channel, date=day, **figures)

    # Facebook (Leisure): page likes 2,256 → 3,294, followers 2,400 → 3,500.
    snap(channels["leisure"], date(2015, 4, 30), likes=2256, followers=2400)
    snap(channels["leisure"], date(2016, 4, 30), likes=3294, followers=3500)
    # X, corporate: 7,680 two days before the end of April 2015 (within the tolerance) → 10,597.
    snap(channels["corporate"], date(2015, 4, 28), followers=7680)
    snap(channels["corporate"], date(2016, 4, 30), followers=10597)
    # X, Libraries: the 2015 figure is 10 days old at the end of April 2015, too old to use.
    snap(channels["libraries"], date(2015, 4, 20), followers=1000)
    snap(channels["libraries"], date(2016, 4, 30), followers=1500)
    # YouTube running totals: views 100,000 → 125,000 in April 2015, 200,000 → 234,000 in April 2016;
    # watch time 50,000 → 100,000 and 300,000 → 369,000 minutes.
    snap(youtube, date(2015, 3, 31), views=100_000, watch_time_minutes=50_000, followers=150)
    snap(youtube, date(2015, 4, 30), views=125_000, watch_time_minutes=100_000, followers=160)
    snap(youtube, date(2016, 3, 31), views=200_000, watch_time_minutes=300_000, followers=170)
    snap(youtube, date(2016, 4, 30), views=234_000, watch_time_minutes=369_000, followers=180)


@pytest.fixture
def mention_of(channels):
    numbers = itertools.count(1)
    author = Author.objects.create(platform="x", external_id="resident-1", handle="@resident")

    def make(channel="corporate", posted_at=None, route=None, service=None, sentiment=None, conversation_id="",
             external_id=None):
        ch = channels[channel] if isinstance(channel, str) else channel
        mention = Mention.objects.create(
            platform=ch.platform, external_id=external_id or f"m-{next(numbers)}", channel=ch, kind="mention",
            author=author, text="About the council", posted_at=posted_at or at(date(2016, 4, 5)),
            conversation_id=conversation_id)
        if route:
            MentionRouting.objects.create(
                mention=mention, route=route, service=service, rule_name="test", explanation="test",
                priority="normal", classification={"sentiment_label": sentiment} if sentiment else {},
                routed_at=mention.posted_at)
        return mention

    return make


@pytest.fixture
def case_of(mention_of):
    def make(route, service=None, *, opened=None, first_h=None, resolved_h=None, due_h=None):
        opened = opened or at(date(2016, 4, 5))
        mention = mention_of(posted_at=opened)

        def hours(h):
            return opened + timedelta(hours=h) if h is not None else None

        return Case.objects.create(
            mention=mention, platform=mention.platform, route=route, priority="normal", service=service,
            rule_name="test", explanation="test", opened_at=opened, first_response_at=hours(first_h),
            sla_stopped_at=hours(first_h), resolved_at=hours(resolved_h), sla_due_at=hours(due_h),
            state=Case.State.CLOSED if resolved_h is not None else Case.State.NEW)

    return make


@pytest.fixture
def triage_data(case_of, services):
    """Customer services (Waste): first responses after 1, 2, 3, 4 and 10 hours against a 5-hour
    target, one unanswered past its target, one unanswered before it. Web team (Libraries):
    after 0.5 and 1.5 hours, no target. One case in May 2016, outside the period."""
    waste, libraries = services["waste-and-recycling"], services["libraries"]
    for first, resolved in ((1, 20), (2, 30), (3, None), (4, 40), (10, 50)):
        case_of("customer_service", waste, first_h=first, resolved_h=resolved, due_h=5)
    case_of("customer_service", waste, due_h=5)  # unanswered, deadline passed before NOW
    case_of("customer_service", waste, opened=at(date(2016, 4, 30), 9), due_h=24 * 30)  # not yet due at NOW
    case_of("web_team_response", libraries, first_h=0.5)
    case_of("web_team_response", libraries, first_h=1.5)
    case_of("web_team_response", libraries, opened=at(date(2016, 5, 2)), first_h=100)


@pytest.fixture
def foi_data(case_of, services):
    """Valid requests received in April 2016: three answered on time, one late, one overdue,
    one not yet due; and one not valid (not counted)."""
    libraries = services["libraries"]

    def foi(clock_start, due, responded=None, valid=True):
        case = case_of("foi", libraries, opened=at(clock_start))
        FoiRequest.objects.create(case=case, request_text="FOI", valid=valid, received_at=at(clock_start),
                                  clock_start=clock_start, due_date=due, responded_at=responded)

    foi(date(2016, 4, 1), date(2016, 4, 29), at(date(2016, 4, 20)))
    foi(date(2016, 4, 4), date(2016, 5, 3), at(date(2016, 5, 3), 16))  # on the due day: on time
    foi(date(2016, 4, 5), date(2016, 5, 4), at(date(2016, 4, 6)))
    foi(date(2016, 4, 6), date(2016, 5, 5), at(date(2016, 5, 6)))  # a day late
    foi(date(2016, 4, 7), date(2016, 5, 6))  # overdue at NOW
    foi(date(2016, 4, 28), date(2016, 5, 26))  # not yet due at NOW
    foi(date(2016, 4, 8), date(2016, 5, 9), valid=False)


@pytest.fixture
def publishing_data(staff, channels, services, mention_of):
    """Two posts in April 2016: one on both X channels (three replies to one, one to the
    other), one on Facebook (two comments); one post in March (outside)."""
    editor = staff[Role.WEB_TEAM]

    def post(channel_targets, published):
        p = Post.objects.create(text="News", service=services["communications"], author=editor, state="published",
                                published_at=published)
        for channel, external_id in channel_targets:
            PostTarget.objects.create(post=p, channel=channels[channel], state="published", external_id=external_id,
                                      published_at=published)
        return p

    post([("corporate", "x-100"), ("libraries", "x-200")], at(date(2016, 4, 4)))
    post([("leisure", "fb-300")], at(date(2016, 4, 20)))
    post([("corporate", "x-400")], at(date(2016, 3, 30)))
    for _ in range(3):
        mention_of("corporate", conversation_id="x-100")
    mention_of("libraries", conversation_id="x-200")
    mention_of("corporate", conversation_id="x-100", external_id="x-100")  # the post itself, not a reply
    for _ in range(2):
        mention_of("leisure", conversation_id="fb-300")
