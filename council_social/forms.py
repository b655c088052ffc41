"""Forms render GOV.UK Frontend markup: one template per component, chosen by widget."""
import re

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "govuk/form.html"
    field_template_name = "govuk/field.html"

    def render(self, template_name, context, request=None):
        # A select renders a template per option; with a few hundred options (staff to assign a
        # case to) that was a third of a dashboard page's time. The same markup, in Python.
        if template_name == SELECT_TEMPLATE and all(
                option["template_name"] == OPTION_TEMPLATE
                for _, options, _ in context["widget"]["optgroups"] for option in options):
            return render_select(context["widget"])
        return super().render(template_name, context, request)


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: False leaves the attribute out, True writes it bare."""
    return "".join(f" {name}" if value is True else f' {name}="{escape(value)}"'
                   for name, value in attrs.items() if value is not False)


def render_select(widget: dict) -> str:
    """The markup of django/forms/widgets/select.html and select_option.html."""
    out = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group, options, _ in widget["optgroups"]:
        if group:
            out.append(f'\n  <optgroup label="{conditional_escape(group)}">')
        out += [f'\n  <option value="{escape(o["value"])}"{_attrs(o["attrs"])}>{conditional_escape(o["label"])}</option>'
                for o in options]
        if group:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)


def widget_kind(widget) -> str:
    """The GOV.UK component for a Django widget."""
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, (forms.Select, forms.SelectMultiple)):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    return "input"


# Django's generic messages, which do not say which field or what to do (GOV.UK: "Enter your
# full name", not "This field is required").
_GENERIC = {
    "This field is required.": "required",
    "Enter a valid date.": "date", "Enter a valid date/time.": "date", "Enter a valid time.": "date",
    "Enter a whole number.": "number", "Enter a number.": "number",
    "Enter a valid email address.": "email", "Enter a valid URL.": "url",
    "Enter a list of values.": "choose",
}


def field_words(label) -> str:
    """A label as it reads inside a sentence: 'Emergency message (optional)' -> 'emergency message'."""
    text = re.sub(r"\s*\([^)]*\)", "", str(label or "")).strip().rstrip("?:").strip()
    if len(text) > 1 and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text or "this"


def error_message(field, error) -> str:
    """A field's error as GOV.UK words: it names the field and says what to do."""
    error = str(error)
    kind = _GENERIC.get(error)
    if kind is None and error.startswith("Select a valid choice."):
        kind = "choose"
    if kind is None:
        return error
    what = field_words(field.label)
    widget = widget_kind(field.field.widget)
    if kind == "required":
        if widget in ("select", "radios", "checkboxes"):
            return f"Select {what}"
        if widget == "file":
            return f"Choose a file for {what}"
        if widget == "checkbox":
            return f"Tick {what}" if not what.startswith("I ") else f"Confirm that {what}"
        return f"Enter {what}"
    if kind == "choose":
        return f"Select {what} from the list"
    if kind == "date":
        form = re.search(r"\(([A-Z/-]{6,})\)", str(field.label))
        return f"Enter {what} as a real date" + (f", in the form {form.group(1)}" if form else "")
    if kind == "number":
        return f"Enter {what} as a number"
    if kind == "email":
        what = "an email address" if "email" in what else f"{what} as an email address"
        return f"Enter {what}, like name@example.com"
    what = "a web address" if "address" in what or what in ("link", "URL") else f"{what} as a web address"
    return f"Enter {what}, like https://www.example.com"
