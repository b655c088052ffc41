"""Policy text is Markdown, rendered to HTML and then sanitised with nh3: only the tags a
policy needs, links to http(s) and mailto only, no scripts, styles or event handlers.
GOV.UK classes are added so the text looks like the rest of the page."""
import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

TAGS = {"h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "pre",
        "table", "thead", "tbody", "tr", "th", "td", "abbr"}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
CLASSES = {
    "h2": "govuk-heading-m", "h3": "govuk-heading-s", "h4": "govuk-heading-s", "p": "govuk-body",
    "ul": "govuk-list govuk-list--bullet", "ol": "govuk-list govuk-list--number", "a": "govuk-link",
    "table": "govuk-table", "tr": "govuk-table__row", "th": "govuk-table__header", "td": "govuk-table__cell",
    "thead": "govuk-table__head", "tbody": "govuk-table__body", "blockquote": "govuk-inset-text",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
}

_cleaner = nh3.Cleaner(
    tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
    set_tag_attribute_values={tag: {"class": css} for tag, css in CLASSES.items()},
    link_rel="noopener noreferrer",
)


def render_markdown(text: str) -> SafeString:
    """Safe HTML for a policy's Markdown. Headings start at h2: the page has the h1."""
    html = md.markdown(text or "", extensions=["tables", "sane_lists", "toc"],
                       extension_configs={"toc": {"baselevel": 2}}, output_format="html")
    return mark_safe(_cleaner.clean(html))  # noqa: S308 — sanitised by nh3 just above
