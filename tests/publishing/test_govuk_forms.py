"""GOV.UK forms: error messages that name the field and say what to do, an error summary that
links each one, no double "(optional)", and a post saved with problems is a warning, not a success."""
import re

from accounts.roles import Role
from publishing.models import Post

GENERIC = ("This field is required.", "Enter a valid", "Select a valid choice")


def summary_links(page: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S).group(0)
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def test_the_post_editor_names_each_field_in_its_errors(staff, channels, client_for):
    editor = client_for(staff[Role.SERVICE_EDITOR])
    page = editor.post("/posts/new/", {"text": "", "image_1_alt": "A library"}).content.decode()
    links = summary_links(page)
    assert links, page
    for anchor, message in links:
        assert not message.startswith(GENERIC), message
        assert f'id="{anchor}"' in page, anchor  # each link goes to a field that exists
    messages = dict(links)
    assert messages["id_text"] == "Enter text"
    assert "Error: " in page.split("</title>")[0]


def test_no_label_says_optional_twice(staff, client_for):
    page = client_for(staff[Role.WEB_TEAM]).get("/emergency/").content.decode()
    assert "Emergency message (optional)" in page
    assert "(optional) (optional)" not in page


def test_a_post_saved_with_problems_is_a_warning_not_a_success(staff, channels, client_for):
    editor = client_for(staff[Role.SERVICE_EDITOR])
    response = editor.post("/posts/new/", {"text": "Open late " * 40, "channels": [channels["libraries"].pk]},
                           follow=True)
    page = response.content.decode()
    assert Post.objects.filter(text__startswith="Open late").exists()
    assert "Success" not in page
    assert "There is a problem" in page and "cannot be sent for approval" in page

    response = editor.post("/posts/new/", {"text": "Open late on Thursday", "channels": [channels["libraries"].pk]},
                           follow=True)
    assert "Success" in response.content.decode()
