"""The report pages: GOV.UK, no inline script or style, a fixed number of queries, scoping,
clear messages for bad filters, and the same figures as the API."""
from datetime import date

import pytest

from accounts.models import Channel
from accounts.roles import Role
from monitoring.models import ChannelMetricSnapshot
from reporting import figures
from tests.reporting.data import API_PARAMS, PERIOD_PARAMS, at
from tests.reporting.pages import assert_clean, parse, table_dict

pytestmark = pytest.mark.django_db

PAGES = ["/reports/", "/reports/growth/", "/reports/mentions/", "/reports/triage/", "/reports/publishing/"]
READERS = [Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR, Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR]
REFUSED = [Role.COUNCILLOR, Role.CUSTOMER_SERVICES, Role.MONITORING_OFFICER]


@pytest.mark.parametrize("role", READERS)
def test_report_pages_are_govuk_without_inline_script(role, staff, client_for, snapshots):
    client = client_for(staff[role])
    for url in PAGES:
        response = client.get(url, PERIOD_PARAMS)
        assert response.status_code == 200, url
        assert_clean(response.content.decode(), url)
    home = client.get("/").content.decode()
    assert "/reports/" in home


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_are_refused(role, staff, client_for):
    client = client_for(staff[role])
    for url in PAGES + ["/api/reports/growth/"]:
        response = client.get(url)
        assert response.status_code == 403, url
    assert "/reports/" not in client.get("/").content.decode()


def _more_data(services, mention_of, case_of, n):
    """n more channels with snapshots, mentions and cases: the query count must not change."""
    for i in range(n):
        channel = Channel.objects.create(platform="mastodon", handle=f"@extra{i}@social.example",
                                         display_name="Extra", service=services["leisure"])
        for day in (date(2015, 4, 30), date(2016, 4, 30)):
            ChannelMetricSnapshot.objects.create(channel=channel, date=day, followers=100 + i, posts=10 + i)
        mention_of(channel, at(date(2016, 4, 10)), "web_team_response", services["leisure"], "positive")
        case_of("customer_service", services["leisure"], first_h=i + 1, due_h=5)


@pytest.mark.parametrize("url", PAGES)
def test_pages_use_a_fixed_number_of_queries(url, staff, client_for, snapshots, services, mention_of, case_of,
                                             django_assert_max_num_queries):
    client = client_for(staff[Role.WEB_TEAM])
    client.get(url, PERIOD_PARAMS)  # warm caches (roles, settings) as a running site has them
    with django_assert_max_num_queries(20) as few:
        client.get(url, PERIOD_PARAMS)
    _more_data(services, mention_of, case_of, 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, PERIOD_PARAMS)
    assert response.status_code == 200


def test_a_service_editor_sees_only_their_service(staff, client_for, snapshots):
    client = client_for(staff[Role.SERVICE_EDITOR])  # Libraries
    html = client.get("/reports/growth/", PERIOD_PARAMS).content.decode()
    page = parse(html)
    channels = [row[0] for row in page.tables["table-channels-table"][1:]]
    assert channels == ["@Libs (X (Twitter))"]
    assert "Reports · Libraries" in html and "All services" not in html
    refused = client.get("/reports/growth/", {**PERIOD_PARAMS, "service": "leisure"})
    assert refused.status_code == 200
    assert "You can see reports for Libraries only" in refused.content.decode()
    api = client.get("/api/reports/growth/", {**API_PARAMS, "service": "leisure"})
    assert api.status_code == 400 and "Libraries only" in str(api.json())
    mine = client.get("/api/reports/growth/", API_PARAMS).json()
    assert mine["query"]["service"] == "libraries" and [c["handle"] for c in mine["channels"]] == ["@Libs"]


@pytest.mark.parametrize("params, message", [
    ({"start_day": 31, "start_month": 2, "start_year": 2016}, "Period starts must be a real date"),
    ({"start_day": 1, "start_month": "", "start_year": 2016}, "Period starts must include a month"),
    ({"start_day": 1, "start_month": 4, "start_year": 16}, "Year must include 4 numbers"),
    ({"start_day": "x", "start_month": 4, "start_year": 2016}, "Period starts must be a real date, in numbers"),
    ({"start_day": "²", "start_month": 4, "start_year": 20160}, "Period starts must be a real date, in numbers"),
    ({**PERIOD_PARAMS, "end_month": 3}, "The end of the period must be the same as or after its start"),
    ({"start_day": 1, "start_month": 4, "start_year": 2016}, "Enter the date the period ends"),
    ({**PERIOD_PARAMS, "compare": "custom"}, "Enter both dates of the period to compare with"),
    ({**PERIOD_PARAMS, "start_year": 2010}, "A period can be at most 5 years long"),
    ({**PERIOD_PARAMS, "start_month": 1, "bucket": "day"}, "Choose weeks or months for a period longer than 92 days"),
    ({**PERIOD_PARAMS, "service": "no-such-service"}, "Choose a service from the list"),
    ({**PERIOD_PARAMS, "start_year": 2999, "end_year": 2999}, "The period must start today or in the past"),
])
def test_bad_filters_get_a_clear_message(params, message, staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    for url in ("/reports/", "/reports/growth/"):
        response = client.get(url, params)
        html = response.content.decode()
        assert response.status_code == 200
        assert "<title>Error:" in html and "govuk-error-summary" in html, url
        assert message in html, url
        assert_clean(html, url)


def test_error_summary_links_to_the_day_box(staff, client_for):
    html = client_for(staff[Role.WEB_TEAM]).get("/reports/", {"start_day": 31, "start_month": 2,
                                                             "start_year": 2016}).content.decode()
    assert 'href="#id_start"' in html and 'id="id_start" name="start_day"' in html


def test_bad_api_filters_get_a_clear_message(staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    response = client.get("/api/reports/volume/", {"start": "2016-05-01", "end": "2016-04-01"})
    assert response.status_code == 400
    assert response.json() == {"end": ["The end of the period must be the same as or after its start"]}
    assert client.get("/api/reports/foi/", {"start": "not-a-date"}).status_code == 400
    assert client.get("/api/reports/foi/", {"bucket": "year"}).status_code == 400


def test_default_period_is_the_last_full_quarter(staff, client_for):
    api = client_for(staff[Role.WEB_TEAM]).get("/api/reports/foi/").json()
    from django.utils import timezone

    expected = figures.last_full_quarter(timezone.localdate())
    assert api["query"]["period"] == {"start": str(expected.start), "end": str(expected.end), "label": expected.label}
    assert api["query"]["comparison"]["label"] == expected.year_before().label


def test_api_figures_equal_page_figures(staff, client_for, snapshots, triage_data, publishing_data, mention_of):
    client = client_for(staff[Role.WEB_TEAM])
    params = {**PERIOD_PARAMS, "bucket": "week"}
    api_params = {**API_PARAMS, "bucket": "week"}

    growth = parse(client.get("/reports/growth/", params).content.decode())
    cells = table_dict(growth.tables["chart-followers-table"])
    api = client.get("/api/reports/growth/", api_params).json()
    assert api["platforms"]
    for p in api["platforms"]:
        f = p["figures"]["followers"]
        assert cells[(p["platform_label"], "Followers, April 2015")] == figures.fmt_number(f["before"])
        assert cells[(p["platform_label"], "Followers, April 2016")] == figures.fmt_number(f["after"])
        assert cells[(p["platform_label"], "Change (%)")] == figures.fmt_signed_percent(f["percent"])

    triage = parse(client.get("/reports/triage/", params).content.decode())
    cells = table_dict(triage.tables["chart-response-route-table"])
    sla = table_dict(triage.tables["chart-sla-route-table"])
    api = client.get("/api/reports/response-times/", api_params).json()
    for row in [*api["by_route"], api["overall"]]:
        assert cells[(row["name"], "Median first response (hours)")] == figures.fmt_number(
            row["first_response_median_hours"], 1)
        assert cells[(row["name"], "90th percentile first response (hours)")] == figures.fmt_number(
            row["first_response_p90_hours"], 1)
        assert cells[(row["name"], "Cases")] == str(row["cases"])
        assert sla[(row["name"], "Answered in time (%)")] == figures.fmt_percent(row["sla_compliance_percent"])
    customer = next(r for r in api["by_route"] if r["name"] == "Customer services")
    assert customer["first_response_p90_hours"] == pytest.approx(7.6)  # 4 + 0.6 × (10 − 4)

    publishing = parse(client.get("/reports/publishing/", params).content.decode())
    cells = table_dict(publishing.tables["chart-posts-platform-table"])
    api = client.get("/api/reports/publishing/", api_params).json()
    for row in [*api["by_platform"], api["overall"]]:
        assert cells[(row["name"], "Posts on channels")] == str(row["posts_on_channels"])
        assert cells[(row["name"], "Comments and replies")] == str(row["responses"])

    mentions = parse(client.get("/reports/mentions/", params).content.decode())
    cells = table_dict(mentions.tables["chart-mentions-platform-table"])
    api = client.get("/api/reports/volume/", api_params).json()
    for platform, counts in api["series"]["platform"].items():
        assert cells[("Total", platform)] == figures.fmt_number(sum(counts))


def test_api_foi_equals_page(staff, client_for, foi_data):
    client = client_for(staff[Role.WEB_TEAM])
    cells = table_dict(parse(client.get("/reports/triage/", PERIOD_PARAMS).content.decode()).tables["chart-foi-table"])
    api = client.get("/api/reports/foi/", API_PARAMS).json()
    assert cells[("All services", "Received")] == str(api["overall"]["received"]) == "6"
    assert cells[("All services", "Answered on time (%)")] == figures.fmt_percent(api["overall"]["on_time_percent"])
