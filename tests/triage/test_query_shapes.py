"""The query shapes chosen for the dashboard at scale (docs/performance.md) keep their meaning:
text search by mention text or author handle, the case's mentions, the priority order."""
import pytest

from accounts.roles import Role
from triage import selectors
from triage.models import Case

pytestmark = pytest.mark.django_db


def test_search_finds_a_case_by_its_text_or_its_author_and_keeps_other_filters(post, case_of, staff):
    by_text = case_of(post("The pothole on Mill Lane is back", author="resident1"))
    by_author = case_of(post("Bins missed again", author="millwatcher"))
    case_of(post("Lovely park", author="someone"))
    closed = case_of(post("Mill Lane flooding", author="other"))
    Case.objects.filter(pk=closed.pk).update(state=Case.State.CLOSED)
    user = staff[Role.WEB_TEAM]

    def found(**filters):
        return set(selectors.case_list(user=user, filters=filters).values_list("pk", flat=True))

    assert found(q="mill", status="all") == {by_text.pk, by_author.pk, closed.pk}
    assert found(q="MILL") - {closed.pk} == found(q="mill")  # open cases by default
    assert found(q="mill", platform="facebook") == set()
    assert found(q="@millwatcher", status="all") == {by_author.pk}


def test_search_takes_its_term_literally_and_folds_case_as_people_write(post, case_of, staff):
    percent = case_of(post("Council tax up 5% again, 100_000 wasted", author="a1"))
    welsh = case_of(post("Diolch i'r Cyngor am y BIN newydd, STRASSE ist groß", author="a2"))
    user = staff[Role.WEB_TEAM]

    def found(q):
        return set(selectors.case_list(user=user, filters={"q": q, "status": "all"}).values_list("pk", flat=True))

    assert found("5%") == {percent.pk} and found("%") == {percent.pk} and found("0_0") == {percent.pk}
    assert found("_") == {percent.pk}  # not a wildcard: only the text with an underscore
    assert found("cyngor am y bin") == {welsh.pk} and found("GROSS") == {welsh.pk}


def test_the_search_text_follows_an_edited_mention_and_goes_with_an_erasure(post, case_of, staff):
    from monitoring import privacy
    from monitoring import services as monitoring_services
    from monitoring.models import Author

    mention = post("Lovely evening at the library", author="reader7")
    case = case_of(mention)
    user = staff[Role.WEB_TEAM]

    def found(q):
        return set(selectors.case_list(user=user, filters={"q": q, "status": "all"}).values_list("pk", flat=True))

    assert found("library") == {case.pk}
    mention.text = "Edited: the library roof is leaking onto the books"
    mention.save(update_fields=["text"])
    for hook in monitoring_services.EDITED_MENTION_HOOKS:
        hook([mention.pk])
    assert found("roof is leaking") == {case.pk} and found("lovely evening") == set()
    privacy.author_erase(actor=user, author=Author.objects.get(pk=mention.author_id), reference="DPO-1")
    assert found("roof") == set() and found("reader7") == set()


def test_the_case_page_lists_the_opening_mention_and_those_that_joined(post, case_of):
    first = post("Still no bin collection on Elm Road", conversation_id="t1")
    later = post("Same on our street", conversation_id="t1", kind="reply")
    case = case_of(first)
    assert case_of(later) == case
    assert list(selectors.case_mentions(case)) == [first, later]


def test_priority_order_is_highest_first_then_soonest_due(post, case_of, staff):
    cases = [case_of(post(f"Question {i} about libraries")) for i in range(4)]
    for case, priority in zip(cases, ["low", "urgent", "normal", "high"], strict=True):
        Case.objects.filter(pk=case.pk).update(priority=priority, state=Case.State.NEW)
    ordered = selectors.case_list(user=staff[Role.WEB_TEAM], filters={"sort": "priority"})
    assert list(ordered.values_list("priority", flat=True)) == ["urgent", "high", "normal", "low"]


def test_the_queue_shows_its_rows_in_order_and_caps_its_count(post, case_of, staff, client_for, monkeypatch):
    import re

    cases = [case_of(post(f"Question {i} about libraries", author=f"r{i}")) for i in range(5)]
    client = client_for(staff[Role.WEB_TEAM])
    expected = list(selectors.case_list(user=staff[Role.WEB_TEAM], filters={"sort": "newest", "status": "all"})
                    .values_list("pk", flat=True))
    html = client.get("/cases/?sort=newest&status=all").content.decode()
    assert [int(pk) for pk in re.findall(r'id="case-row-(\d+)"', html)] == expected == [c.pk for c in cases][::-1]
    assert "5 cases." in html
    monkeypatch.setattr("council_social.pagination.COUNT_MAX", 3)
    html = client.get("/cases/?sort=newest&status=all&size=25").content.decode()
    assert "More than 3 cases: filter to see fewer." in html
    assert [int(pk) for pk in re.findall(r'id="case-row-(\d+)"', html)] == expected[:3]
