"""Forms render GOV.UK Frontend markup: one template per component, chosen by widget."""
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
