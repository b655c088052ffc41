"""What is rising: a topic at ten times its own baseline, injected into the simulator and polled,
raises exactly one alert naming it (not one per poll or per check), told to the web team and
communications officers with the mentions behind it, and shown on the dashboard."""
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from accounts.roles import Role
from monitoring.models import SpikeAlert, TopicCount
from monitoring.trends import spike_test, spikes_detect, topics_of
from tests.web.test_against_simulator import inject, poll, sim, site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

FLOOD = ["Water is over the kerb outside number twelve #KingsmereFloods",
         "Sandbags please, our cellar took water overnight #KingsmereFloods",
         "Drains blocked again, the pavement is a river #KingsmereFloods",
         "School bus could not get through this morning #KingsmereFloods",
         "Who do we call about a burst culvert? #KingsmereFloods",
         "Garden fence gone, shed floating #KingsmereFloods",
         "Pumps arrived at last, thanks to the crews #KingsmereFloods",
         "Nursery closed today because of flooding #KingsmereFloods",
         "Car park underwater behind the shops #KingsmereFloods",
         "Allotments ruined, years of work #KingsmereFloods",
         "Ducks swimming past the bakery door #KingsmereFloods",
         "Stay safe everyone, avoid the low roads #KingsmereFloods"]


def baseline(topic: str, per_hour: int, now) -> None:
    hour = now.replace(minute=0, second=0, microsecond=0)
    TopicCount.objects.bulk_create([TopicCount(kind="hashtag", topic=topic, hour=hour - timedelta(hours=h),
                                               count=per_hour) for h in range(1, 7 * 24 + 1)])


def test_the_plain_test_itself():
    assert spike_test(10, [1] * 168).rising
    assert not spike_test(2, [1] * 168).rising  # twice the usual is not a spike
    assert not spike_test(4, [0] * 168).rising  # too few to mean anything
    assert spike_test(40, [2, 6] * 84).rising and not spike_test(11, [2, 6] * 84).rising


def test_topics_are_hashtags_places_and_phrases():
    found = topics_of("Potholes on Mill Lane again, recycling centre closed #KingsmereRoads", ["Mill Lane"])
    assert ("hashtag", "#kingsmereroads") in found and ("place", "Mill Lane") in found
    assert ("phrase", "recycling centre") in found
    assert not any(t == "kingsmere borough" for _, t in topics_of("Kingsmere Borough Council again", []))


def test_a_topic_at_ten_times_its_baseline_raises_exactly_one_alert(site, staff, client_for):  # noqa: F811
    # The spike falls in one hour of counting: the clock starts ten minutes into an hour.
    with time_machine.travel(timezone.now().replace(minute=10), tick=True):
        spike_in_one_hour(site, staff, client_for)


def spike_in_one_hour(site, staff, client_for):  # noqa: F811
    now = timezone.now()
    state = site("kingsmere-blogs", "kingsmere-blogs")
    baseline("#kingsmerefloods", 1, now)
    baseline("#kingsmerebins", 2, now)
    for text in FLOOD[:10]:  # ten in the hour against one an hour usually
        inject(site.url, "kingsmere-blogs", text)
    for text in ("Bins late on Tuesday #KingsmereBins", "Recycling missed #KingsmereBins"):
        inject(site.url, "kingsmere-blogs", text)
    assert poll(state)["created"] == 12
    assert TopicCount.objects.get(topic="#kingsmerefloods", hour=now.replace(minute=0, second=0,
                                                                             microsecond=0)).count == 10
    first = spikes_detect()
    assert first["raised"] == 1
    alert = SpikeAlert.objects.get()
    assert alert.topic == "#kingsmerefloods" and alert.count == 10 and alert.baseline_mean == 1.0
    assert alert.mentions.count() == 10
    assert "#kingsmerefloods was in 10 mentions this hour" in alert.explanation
    # Later checks in the same episode raise nothing more, even as it keeps rising.
    for text in FLOOD[10:]:
        inject(site.url, "kingsmere-blogs", text)
    poll(state)
    assert spikes_detect()["raised"] == 0
    assert SpikeAlert.objects.count() == 1 and SpikeAlert.objects.get().peak == 12
    told = Notification.objects.filter(subject="Rising now: #kingsmerefloods")
    assert {n.user for n in told} == {staff[Role.WEB_TEAM], staff[Role.COMMUNICATIONS_OFFICER]}
    body = told.first().body
    assert "Some of the mentions behind it:" in body and sum(text in body for text in FLOOD[:10]) == 5
    assert sorted(m.to[0] for m in mail.outbox if m.subject == "Rising now: #kingsmerefloods") == sorted(
        [staff[Role.WEB_TEAM].email, staff[Role.COMMUNICATIONS_OFFICER].email])
    dashboard = client_for(staff[Role.WEB_TEAM]).get("/dashboard/").content.decode()
    assert "Rising now" in dashboard and "#kingsmerefloods" in dashboard
    rising = client_for(staff[Role.COMMUNICATIONS_OFFICER]).get("/rising/").content.decode()
    assert "#kingsmerefloods" in rising and "Sandbags please" in rising
    # When it falls back, the episode ends; only a new rise after that alerts again.
    with time_machine.travel(now + timedelta(hours=2)):
        assert spikes_detect()["ended"] == 1
    assert SpikeAlert.objects.get().ended_at is not None
