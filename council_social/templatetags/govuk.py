from django import template

from council_social.forms import error_message, widget_kind

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


@register.filter
def govuk_errors(field) -> list[str]:
    """The field's errors, each naming the field and saying what to do."""
    return [error_message(field, e) for e in field.errors]


@register.filter
def govuk_optional(field) -> bool:
    """Whether to add "(optional)" to the label: not when required, nor when the label says it."""
    return not field.field.required and "(optional)" not in str(field.label)
