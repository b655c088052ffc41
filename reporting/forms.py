"""The report filters, as GOV.UK date inputs and selects. They check the shape of the input; the
rules (a period that ends after it starts, the services a user may see) are in
reporting.filters, shared with the API."""
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from .figures import BUCKETS
from .filters import COMPARISONS, ReportQuery, can_see_all_services, report_query_build, report_services

PARTS = ("day", "month", "year")


class DatePartsWidget(forms.MultiWidget):
    """Day, month and year boxes, named start_day, start_month, start_year; drawn as a GOV.UK
    date input by templates/reporting/_date_field.html."""

    def __init__(self):
        super().__init__({part: forms.TextInput(attrs={"inputmode": "numeric"}) for part in PARTS})

    def decompress(self, value):
        return [value.day, value.month, value.year] if value else [None, None, None]


class DatePartsField(forms.MultiValueField):
    widget = DatePartsWidget

    def __init__(self, **kwargs):
        parts = [forms.CharField(required=False) for _ in PARTS]
        super().__init__(parts, require_all_fields=False, required=False, **kwargs)

    def compress(self, values):
        if not values or not any(values):
            return None
        missing = [part for part, value in zip(PARTS, values, strict=True) if not value]
        if missing:
            raise ValidationError(f"{self.label} must include a {' and a '.join(missing)}")
        if not all(value.isascii() and value.isdigit() and len(value) <= 4 for value in values):
            raise ValidationError(f"{self.label} must be a real date, in numbers")
        day, month, year = (int(v) for v in values)
        if len(values[2]) != 4:
            raise ValidationError("Year must include 4 numbers")
        try:
            return date(year, month, day)
        except ValueError:
            raise ValidationError(f"{self.label} must be a real date") from None


class ReportFilterForm(forms.Form):
    start = DatePartsField(label="Period starts", help_text="For example, 1 4 2026")
    end = DatePartsField(label="Period ends", help_text="For example, 30 4 2026")
    compare = forms.ChoiceField(label="Compare with", choices=list(COMPARISONS.items()), required=False)
    compare_start = DatePartsField(label="Comparison starts", help_text="Only for other dates")
    compare_end = DatePartsField(label="Comparison ends", help_text="Only for other dates")
    service = forms.ChoiceField(label="Service", required=False)
    bucket = forms.ChoiceField(label="Show figures by", required=False,
                               choices=[("", "Best fit for the period"), *BUCKETS.items()])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        services = list(report_services(user))
        field = self.fields["service"]
        if can_see_all_services(user):
            field.choices = [("", "All services"), *((s.slug, s.name) for s in services)]
            field.error_messages["invalid_choice"] = "Choose a service from the list"
        else:
            field.choices = [(s.slug, s.name) for s in services]
            field.error_messages["invalid_choice"] = f"You can see reports for {services[0].name} only"

    def report_query(self, today: date) -> ReportQuery | None:
        """The checked query, or None with the errors added to the form."""
        if self.is_bound and not self.is_valid():
            return None
        data = self.cleaned_data if self.is_bound else {}
        try:
            query = report_query_build(
                user=self.user, today=today, start=data.get("start"), end=data.get("end"),
                compare=data.get("compare") or "year", compare_start=data.get("compare_start"),
                compare_end=data.get("compare_end"), service=data.get("service") or "", bucket=data.get("bucket") or "")
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return None
        if not self.is_bound:  # show the default period in the boxes
            self.initial.update({"start": query.period.start, "end": query.period.end})
        return query


class CommitteeReportForm(forms.Form):
    """The period of the report on screen, carried in hidden fields to the request for a PDF."""

    start = forms.DateField(widget=forms.HiddenInput)
    end = forms.DateField(widget=forms.HiddenInput)
    compare_start = forms.DateField(widget=forms.HiddenInput)
    compare_end = forms.DateField(widget=forms.HiddenInput)
    service = forms.CharField(widget=forms.HiddenInput, required=False, max_length=60)
    include_estimates = forms.BooleanField(required=False, label="Include estimated figures (each is labelled)")

    @classmethod
    def for_query(cls, query: ReportQuery):
        return cls(initial={"start": query.period.start, "end": query.period.end,
                            "compare_start": query.comparison.start, "compare_end": query.comparison.end,
                            "service": query.service.slug if query.service else ""})
