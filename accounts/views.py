from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
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
        return redirect(request.GET.get("next") or "services:catalogue")
    return render(request, "accounts/register.html", {"form": form, "kind": kind})
