from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .forms import CitizenRegistrationForm, EnterpriseRegistrationForm


@require_http_methods(["GET", "POST"])
def register(request, kind: str):
    form_class = EnterpriseRegistrationForm if kind == "enterprise" else CitizenRegistrationForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome, %(name)s. Your account is ready.") % {"name": user.applicant_name}
        )
        # Only a page of this portal: `next` comes from the address bar (no open redirect).
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = ""
        return redirect(next_url or "services:catalogue")
    return render(request, "accounts/register.html", {"form": form, "kind": kind})
