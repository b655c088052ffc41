from django import template

from council_social.forms import widget_kind

register = template.Library()

_CLASSES = {
    "input": "govuk-input",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "file": "govuk-file-upload",
    "checkbox": "govuk-checkboxes__input",
}


@register.filter
def govuk_kind(field) -> str:
    return widget_kind(field.field.widget)


@register.simple_tag
def govuk_widget(field):
    """Render a field's widget with its GOV.UK class, error state and hint link."""
    kind = widget_kind(field.field.widget)
    css = _CLASSES.get(kind, "")
    if field.errors and kind in ("input", "textarea", "select", "file"):
        css += f" {css}--error"
    attrs = {"class": (field.field.widget.attrs.get("class", "") + " " + css).strip()}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if field.errors:
        described.append(f"{field.auto_id}-error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)
