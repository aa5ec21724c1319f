"""The service-centre counter: file for a citizen who is present (pages under /staff/counter/)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from common.ratelimits import by_user_or_ip, rate_limited

from . import counter
from .catalogue import published_items
from .models import Application, Audience
from .views import application_form_page

CLAIM_CODES_SESSION_KEY = "counter_claim_codes"


class CounterFilingForm(forms.Form):
    resident_id = forms.CharField(
        label=gettext_lazy("Citizen's resident ID number"),
        max_length=18,
        help_text=gettext_lazy("Read it from the ID card the citizen shows you."),
    )
    real_name = forms.CharField(label=gettext_lazy("Name as on the ID card"), max_length=64)
    mobile = forms.CharField(
        label=gettext_lazy("Mobile (optional)"),
        max_length=11,
        required=False,
        help_text=gettext_lazy("Only for a new account: text messages about the case."),
    )
    item = forms.ModelChoiceField(
        label=gettext_lazy("Service"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("— none: only print a new claim code —"),
    )

    def __init__(self, *args, region=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = published_items(region, audience=Audience.CITIZEN)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("filing", key=by_user_or_ip)
def counter_home(request):
    counter.require_counter_staff(request.user)
    form = CounterFilingForm(request.POST or None, region=counter.counter_region(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application, citizen, claim_code = counter.file_at_counter(
                request.user,
                resident_id=data["resident_id"],
                real_name=data["real_name"],
                mobile=data["mobile"].strip(),
                item=data["item"],
            )
        except ValidationError as error:
            for field, field_errors in error.update_error_dict({}).items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            if claim_code:
                # Shown once, on the next page, for the receipt; never stored in clear.
                request.session.setdefault(CLAIM_CODES_SESSION_KEY, {})[str(citizen.pk)] = (
                    claim_code
                )
                request.session.modified = True
            if application is None:
                return render(
                    request,
                    "services/counter_claim_code.html",
                    {"citizen": citizen, "claim_code": pop_claim_code(request, citizen)},
                )
            return redirect("counter:application", application.pk)
    return render(
        request,
        "services/counter.html",
        {"form": form, "recent": counter.recently_filed_by(request.user)},
    )


def pop_claim_code(request, citizen) -> str:
    codes = request.session.get(CLAIM_CODES_SESSION_KEY, {})
    code = codes.pop(str(citizen.pk), "")
    request.session.modified = True
    return code


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("filing", key=by_user_or_ip)
def counter_application(request, pk: int):
    """Fill and submit the citizen's draft with them; once submitted, their receipt."""
    try:
        application = counter.counter_application(request.user, pk)
    except Application.DoesNotExist:
        raise Http404(_("No such application filed at the counter.")) from None
    url = reverse("counter:application", args=[application.pk])
    if application.status == Application.Status.DRAFT:
        return application_form_page(
            request, application, edit_url=url, submitted_url=url, at_counter=True
        )
    return render(
        request,
        "services/counter_receipt.html",
        {
            "application": application,
            "claim_code": pop_claim_code(request, application.applicant),
        },
    )
