"""Policy, guidance, compliance and training pages. Thin: read input, check, call one service."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.requests import request_blocker
from accounts.roles import Role

from . import selectors, services
from .forms import AcknowledgeForm, PolicyVersionForm, TrainingCompletionForm
from .models import PolicyDocument

GUIDANCE_KINDS = (PolicyDocument.Kind.HOUSE_RULES, PolicyDocument.Kind.GUIDANCE)


def form_error(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, against its fields where it names them."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def policy_list(request):
    rows = selectors.document_list(user=request.user)
    return render(request, "policy/list.html", {
        "staff_rows": [r for r in rows if r["document"].audience == "staff"],
        "councillor_rows": [r for r in rows if r["document"].audience == "councillors"],
        "pending": [r for r in rows if r["must_acknowledge"]],
        "can_view_compliance": selectors.can_view_compliance(request.user),
    })


def _document_page(request, document, *, form=None, status=200):
    version = selectors.current_version(document)
    acknowledged = selectors.acknowledged_at(request.user, version) if version else None
    needs = bool(version and document.requires_acknowledgement and not acknowledged
                 and document.audience in selectors.audiences_for(request.user))
    context = {
        "document": document, "version": version, "acknowledged_at": acknowledged,
        "ack_form": form or (AcknowledgeForm(version=version) if needs else None),
        "versions": document.versions.order_by("-number"),
        "can_manage": selectors.can_manage_policy(request.user, document),
        "next": request.GET.get("next") or request.POST.get("next") or "",
    }
    if form is not None:
        context["form"] = form
    return render(request, "policy/document.html", context, status=status)


@login_required
def policy_document(request, slug):
    return _document_page(request, get_object_or_404(PolicyDocument.objects.select_related("owner"), slug=slug))


@login_required
@require_POST
def policy_acknowledge(request, slug):
    document = get_object_or_404(PolicyDocument, slug=slug)
    version = selectors.current_version(document)
    if version is None:
        messages.error(request, f"The {document.title} is not in effect yet.")
        return HttpResponseRedirect(document.get_absolute_url())
    form = AcknowledgeForm(request.POST, version=version)
    if form.is_valid():
        chosen = document.versions.filter(number=form.cleaned_data["version"]).first() or version
        try:
            services.policy_acknowledge(actor=request.user, version=chosen)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Thank you: you acknowledged the {document.title} (version {chosen.number}).")
            pending = selectors.must_acknowledge(request.user)
            if pending:
                return HttpResponseRedirect(pending[0].document.get_absolute_url() + _next_query(request))
            next_url = request.POST.get("next", "")
            if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                return HttpResponseRedirect(next_url)
            return HttpResponseRedirect(document.get_absolute_url())
    return _document_page(request, document, form=form)


def _next_query(request) -> str:
    from urllib.parse import urlencode

    next_url = request.POST.get("next", "")
    return "?" + urlencode({"next": next_url}) if next_url else ""


@login_required
def policy_version(request, slug, number):
    document = get_object_or_404(PolicyDocument, slug=slug)
    version = get_object_or_404(document.versions.select_related("created_by"), number=number)
    return render(request, "policy/version.html", {
        "document": document, "version": version, "current": selectors.current_version(document)})


@login_required
@require_http_methods(["GET", "POST"])
def policy_version_create(request, slug):
    document = get_object_or_404(PolicyDocument, slug=slug)
    if not selectors.can_manage_policy(request.user, document):
        raise PermissionDenied("Only the web team, administrators and the document's owner publish versions.")
    last = document.versions.order_by("-number").first()
    initial = {"body": last.body if last else "", "approved_by": last.approved_by if last else ""}
    form = PolicyVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.policy_version_publish(actor=request.user, document=document, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Version {version.number} was published. Everyone in its audience must "
                                      "acknowledge it once it is in effect.")
            return HttpResponseRedirect(document.get_absolute_url())
    return render(request, "policy/version_form.html", {"form": form, "document": document, "last": last})


@login_required
def compliance(request):
    if not selectors.can_view_compliance(request.user):
        raise PermissionDenied("Only the web team, the monitoring officer and heads of service see compliance.")
    return render(request, "policy/compliance.html", selectors.compliance(viewer=request.user))


@login_required
def guidance_index(request):
    documents = PolicyDocument.objects.filter(kind__in=GUIDANCE_KINDS).order_by("order", "title")
    current = {v.document_id: v for v in selectors.current_versions(documents=documents)}
    return render(request, "policy/guidance.html", {
        "documents": [(d, current.get(d.pk)) for d in documents if d.pk in current],
        "can_request": request_blocker(request.user) is None})


# Training -----------------------------------------------------------------------------------


def _person_page(request, person):
    return render(request, "policy/training_person.html", {
        "person": person, "rows": selectors.person_training(person), "is_me": person.pk == request.user.pk,
        "can_record": selectors.can_record_training(request.user, person),
        "can_see_services": selectors.training_services(viewer=request.user).exists(),
    })


@login_required
def training_mine(request):
    return _person_page(request, request.user)


@login_required
def training_person(request, pk):
    person = get_object_or_404(User.objects.select_related("service"), pk=pk)
    if not selectors.can_view_training(request.user, person):
        # Not found, as for an id nobody has: ids reveal nothing about people one may not see.
        raise Http404("No such person.")
    return _person_page(request, person)


@login_required
def training_services(request):
    visible = selectors.training_services(viewer=request.user)
    if not visible.exists():
        raise PermissionDenied("Only the web team, the monitoring officer and heads of service see training by "
                               "service.")
    return render(request, "policy/training_services.html", {"services": visible})


@login_required
def training_service(request, slug):
    service = get_object_or_404(selectors.training_services(viewer=request.user), slug=slug)
    return render(request, "policy/training_service.html", selectors.service_training(service))


def _recordable_people(viewer):
    people = User.objects.filter(is_active=True)
    if viewer.has_role(*selectors.MANAGE_POLICIES):
        return people
    return people.filter(service__in=selectors.training_services(viewer=viewer)).exclude(pk=viewer.pk)


@login_required
@require_http_methods(["GET", "POST"])
def training_record(request):
    people = _recordable_people(request.user)
    # The same people as can_record_training: the monitoring officer sees training but does not record it.
    if not request.user.has_role(*selectors.MANAGE_POLICIES) and not (
            request.user.has_role(Role.HEAD_OF_SERVICE) and selectors.training_services(viewer=request.user).exists()):
        raise PermissionDenied("Only the web team, administrators and heads of service record training.")
    initial = {"user": request.GET.get("user")} if request.GET.get("user", "").isdigit() else {}
    form = TrainingCompletionForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            completion = services.training_completion_record(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{completion.module} was recorded for {completion.user}.")
            return HttpResponseRedirect(reverse("training_person", args=[completion.user_id]))
    return render(request, "policy/training_record.html", {"form": form})


def home_panel(request):
    """What the signed-in person must still read and acknowledge, and training that has lapsed."""
    pending = selectors.must_acknowledge(request.user)
    training = [r for r in selectors.person_training(request.user) if r["status"] in ("lapsed", "expiring",
                                                                                      "not_started")]
    if not pending and not training:
        return None
    return {"template": "policy/home_panel.html", "pending": pending, "training": training}
