"""Pages of agents (委托代办, issue 17 §2): a principal authorises another account with a power
of attorney, sees what they gave, and revokes it; the agent sees what they received. Each view:
parse, check who asks, call services/parties.py, render."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.audit import record
from common.ratelimits import by_user_or_ip, rate_limited

from . import parties
from .forms import MaterialField
from .models import Authorisation, ServiceItem


class AuthorisationForm(forms.Form):
    agent_username = forms.CharField(
        label=gettext_lazy("The agent's user name"),
        max_length=150,
        help_text=gettext_lazy("The account that will file in your name."),
    )
    item = forms.ModelChoiceField(
        label=gettext_lazy("For which service"),
        queryset=ServiceItem.objects.published().order_by("code"),
        required=False,
        empty_label=gettext_lazy("Every service"),
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    power_of_attorney = MaterialField(
        label=gettext_lazy("Power of attorney (委托书)"),
        help_text=gettext_lazy("Signed by you: PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


def _applicant_only(user) -> None:
    if user.kind == user.Kind.STAFF:
        raise PermissionDenied(_("Authorisations are for personal and enterprise accounts."))


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("filing", key=by_user_or_ip)
def authorisations(request):
    _applicant_only(request.user)
    form = AuthorisationForm(
        request.POST or None,
        request.FILES or None,
        initial={"valid_from": timezone.localdate()},
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                parties.authorise(
                    principal=request.user,
                    agent=parties.agent_by_username(data["agent_username"]),
                    item=data["item"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                    power_of_attorney=data["power_of_attorney"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The authorisation is recorded."))
                return redirect("services:authorisations")
        if form.errors:
            # A power of attorney that is not a PDF or an image, say: refused, and on record.
            record(
                "party.authorisation_refused",
                obj=request.user,
                detail={"fields": sorted(form.errors)},
            )
    listed = parties.authorisations_of(request.user)
    today = timezone.localdate()
    return render(
        request,
        "services/authorisations.html",
        {
            "form": form,
            "given": [
                (a, parties.is_active(a, today))
                for a in listed
                if a.principal_id == request.user.pk
            ],
            "received": [
                (a, parties.is_active(a, today)) for a in listed if a.agent_id == request.user.pk
            ],
        },
    )


@login_required
@require_POST
def revoke_authorisation(request, pk: int):
    _applicant_only(request.user)
    get_object_or_404(Authorisation, pk=pk, principal=request.user)
    parties.revoke_authorisation(pk, request.user)
    messages.success(
        request,
        _(
            "The authorisation is revoked: the agent can file nothing more in your name. "
            "Cases already filed stay as they are."
        ),
    )
    return redirect("services:authorisations")


@login_required
def power_of_attorney(request, pk: int):
    """The signed power of attorney, for the principal and the agent (404 for anyone else)."""
    authorisation = get_object_or_404(
        Authorisation.objects.filter(Q(principal=request.user) | Q(agent=request.user)), pk=pk
    )
    record("download.power_of_attorney", obj=authorisation)
    return FileResponse(
        authorisation.power_of_attorney.open("rb"),
        as_attachment=True,
        filename=authorisation.original_name,
        content_type=authorisation.content_type,
    )
