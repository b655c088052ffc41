"""The inbox: the list with a preview pane (an htmx fragment, or the list page itself with ?case=
without script), its actions returning to the list, and filters kept between visits."""
from accounts.roles import Role


def test_choosing_a_case_shows_it_beside_the_list_with_or_without_script(cases_by_scope, staff, client_for):
    web = client_for(staff[Role.WEB_TEAM])
    case = cases_by_scope["cs_waste"]
    page = web.get(f"/cases/?case={case.pk}").content.decode()
    assert f'id="case-preview-body" data-case="{case.pk}"' in page
    assert "My bin wasn&#x27;t collected again" in page.split('id="case-preview"')[1]
    assert f'href="?case={case.pk}"' in page or f"case={case.pk}" in page
    fragment = web.get(f"/cases/{case.pk}/preview/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html and "Assign to me" in html and "Reply in public" in html
    assert web.get(f"/cases/{case.pk}/preview/").status_code == 302  # without htmx: the case page


def test_a_case_out_of_scope_is_not_previewed(cases_by_scope, staff, client_for):
    cso = client_for(staff[Role.CUSTOMER_SERVICES])
    theirs = cases_by_scope["comms_leisure"]
    assert cso.get(f"/cases/{theirs.pk}/preview/", HTTP_HX_REQUEST="true").status_code == 404
    page = cso.get(f"/cases/?case={theirs.pk}").content.decode()
    assert 'id="case-preview-body"' not in page and "No case chosen" in page


def test_an_action_in_the_preview_comes_back_to_the_list(cases_by_scope, staff, client_for):
    web = client_for(staff[Role.WEB_TEAM])
    case = cases_by_scope["web_libraries"]
    back = f"/cases/?route=web_team_response&case={case.pk}"
    response = web.post(f"/cases/{case.pk}/assign/", {"assign-version": case.version,
                                                      "assign-assignee": staff[Role.WEB_TEAM].pk, "next": back})
    assert response.status_code == 302 and response["Location"] == back
    case.refresh_from_db()
    assert case.assignee == staff[Role.WEB_TEAM]
    elsewhere = web.post(f"/cases/{case.pk}/note/", {"note-text": "Checked", "next": "https://evil.example/"})
    assert elsewhere["Location"] == case.get_absolute_url()


def test_filters_are_kept_between_visits_until_cleared(cases_by_scope, staff, client_for):
    web = client_for(staff[Role.WEB_TEAM])
    assert web.get("/cases/?route=customer_service&priority=high").status_code == 200
    again = web.get("/cases/")
    assert again.status_code == 302 and "route=customer_service" in again["Location"]
    assert web.get("/cases/?clear=1")["Location"] == "/cases/"
    assert web.get("/cases/").status_code == 200


def test_the_chosen_case_stays_shown_when_it_leaves_the_filter(cases_by_scope, staff, client_for):
    web = client_for(staff[Role.WEB_TEAM])
    case = cases_by_scope["cs_waste"]
    web.post(f"/cases/{case.pk}/acknowledge/", {"acknowledge-version": case.version})
    page = web.get(f"/cases/?status=new&case={case.pk}").content.decode()
    assert f'data-case="{case.pk}"' in page.split('id="case-preview"')[1]
