"""Selects are rendered in Python (council_social.forms.render_select) for speed: the markup must
be the same as Django's own select templates, escaping included."""
import re

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting

from accounts.models import Service
from council_social.forms import GovukFormRenderer


def _by_templates(field):
    """The field's widget rendered by Django's templates, as before."""
    renderer = TemplatesSetting()
    return field.field.widget.render(field.html_name, field.value(), attrs={"id": field.auto_id},
                                     renderer=renderer)


def _by_python(field):
    return field.field.widget.render(field.html_name, field.value(), attrs={"id": field.auto_id},
                                     renderer=GovukFormRenderer())


def same_markup(a: str, b: str) -> bool:
    squeeze = re.compile(r">\s+<")
    return squeeze.sub("><", a.strip()) == squeeze.sub("><", b.strip())


class Choices(forms.Form):
    plain = forms.ChoiceField(choices=[("", "Any"), ("a", "A & B"), ('"q"', "<script>alert(1)</script>")])
    grouped = forms.ChoiceField(choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("none", "None")])
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two"), ("3", "Three")])
    number = forms.TypedChoiceField(choices=[(25, "25"), (50, "50")], coerce=int)


@pytest.mark.parametrize("data", [{}, {"plain": '"q"', "grouped": "pear", "many": ["1", "3"], "number": "50"}])
def test_selects_are_the_same_markup_as_djangos_templates(data):
    form = Choices(data or None)
    for name in form.fields:
        python, templates = _by_python(form[name]), _by_templates(form[name])
        assert same_markup(python, templates), (name, python, templates)
    html = _by_python(form["plain"])
    assert "<script>" not in html and "&lt;script&gt;" in html and 'value="&quot;q&quot;"' in html


@pytest.mark.django_db
def test_model_choices_and_disabled_selects_are_the_same_markup():
    Service.objects.create(name="Libraries & <Leisure>", slug="libraries")

    class Pick(forms.Form):
        service = forms.ModelChoiceField(queryset=Service.objects.all(), initial=None)
        fixed = forms.ChoiceField(choices=[("x", "X")], disabled=True)

    form = Pick(initial={"service": Service.objects.get().pk})
    for name in form.fields:
        field = form[name]
        field.field.widget.attrs["class"] = "govuk-select"
        assert same_markup(_by_python(field), _by_templates(field))
    assert "selected" in _by_python(form["service"])
