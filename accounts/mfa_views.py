"""Sign-in pages: the sign-in page (with single sign-on when configured), the code and setup
steps of multi-factor sign-in, backup codes, and the admin site that requires MFA."""
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import mfa
from .oidc import sso_enabled


class SignInForm(AuthenticationForm):
    """Django's sign-in form without autofocus: the page opens at its top, so keyboard and screen
    reader users meet the skip link, the heading and the introduction first (GOV.UK pages do not
    move focus on load)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.pop("autofocus", None)


class SignInView(auth_views.LoginView):
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if sso_enabled():
            query = urlencode({"next": context.get("next") or ""})
            context["sso_url"] = f"{reverse('oidc_authentication_init')}?{query}"
        return context


class MFAAdminSite(admin.AdminSite):
    """Django admin, only for sessions that finished multi-factor sign-in (whatever the role)."""

    def has_permission(self, request):
        return super().has_permission(request) and mfa.session_is_verified(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code", max_length=20,
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        error_messages={"required": "Enter the code from your authenticator app"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false",
                                      "class": "govuk-input--width-10"}),
    )


class SetupCodeForm(forms.Form):
    code = forms.RegexField(
        label="Code from the app", regex=r"^\s*\d{3}\s*\d{3}\s*$", max_length=12,
        help_text="The 6-digit code the app shows for Council Social.",
        error_messages={"required": "Enter the 6-digit code from your authenticator app",
                        "invalid": "Enter the code as 6 digits, like 123456"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false", "class": "govuk-input--width-5"}),
    )


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("home")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _refusal(attempt: mfa.Attempt) -> str:
    if attempt.wait_seconds:
        return f"Too many wrong codes. Wait {attempt.wait_seconds} seconds, then try again"
    if attempt.method == mfa.BACKUP_CODE:
        return "The code is not right, or that backup code has been used. Check it and try again"
    return "The code is not right. Enter the code the app shows now"


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    next_url = _next_url(request)
    step = mfa.session_next_step(request)
    if step is None:
        return HttpResponseRedirect(next_url)
    if step == mfa.SET_UP:
        return redirect(_with_next("mfa_setup", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt = mfa.mfa_verify(user=request.user, code=form.cleaned_data["code"])
        if attempt.ok:
            mfa.session_mark_verified(request, method=attempt.method)
            if attempt.backup_codes_left is not None:
                messages.warning(request, f"You used a backup code. You have {attempt.backup_codes_left} left.")
            return HttpResponseRedirect(next_url)
        form.add_error("code", _refusal(attempt))
    return render(request, "accounts/mfa/verify.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    next_url = _next_url(request)
    if not mfa.can_set_up(request):
        return redirect(_with_next("mfa_verify", next_url))
    device = mfa.totp_setup_start(user=request.user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt = mfa.totp_setup_confirm(user=request.user, code=form.cleaned_data["code"])
        if attempt.ok:
            mfa.session_mark_verified(request, method=mfa.APP)
            request.session[mfa.NEW_BACKUP_CODES_SESSION_KEY] = attempt.backup_codes
            return redirect(_with_next("mfa_backup_codes", next_url))
        form.add_error("code", _refusal(attempt))
    return render(request, "accounts/mfa/setup.html", {
        "form": form, "next": next_url, "qr_code": mfa.totp_qr_data_uri(device), "secret": mfa.totp_secret(device),
        "required": mfa.mfa_required(request.user), "replacing": mfa.has_authenticator(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def backup_codes(request):
    if request.method == "POST":
        request.session[mfa.NEW_BACKUP_CODES_SESSION_KEY] = mfa.backup_codes_renew(actor=request.user)
        return redirect("mfa_backup_codes")
    # New codes are shown once, on the page that follows their creation.
    codes = request.session.pop(mfa.NEW_BACKUP_CODES_SESSION_KEY, None)
    if codes is None and not mfa.has_authenticator(request.user):
        return redirect("mfa_manage")
    return render(request, "accounts/mfa/backup_codes.html", {
        "codes": codes, "left": None if codes else mfa.backup_codes_left(request.user),
        "next": _next_url(request),
    })


@login_required
def manage(request):
    return render(request, "accounts/mfa/manage.html", {
        "enabled": mfa.has_authenticator(request.user), "required": mfa.mfa_required(request.user),
        "left": mfa.backup_codes_left(request.user),
    })


@login_required
@require_POST
def remove(request):
    try:
        mfa.mfa_remove(actor=request.user, user=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Multi-factor sign-in is off. You sign in with your password alone.")
    return redirect("mfa_manage")


def home_panel(request):
    return {"template": "accounts/mfa/home_panel.html", "mfa_enabled": mfa.has_authenticator(request.user),
            "mfa_required": mfa.mfa_required(request.user)}
