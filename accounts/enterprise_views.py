"""Pages of an enterprise's members (issue 17 §3): the administrator invites and removes; a
member accepts an invitation while logged in. Each view: parse, check who asks, call
accounts/enterprises.py, render."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from common.ratelimits import by_user_or_ip, rate_limited

from . import enterprises
from .models import EnterpriseMember, EnterpriseRole, User


class InvitationForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=EnterpriseRole.choices)


class AcceptInvitationForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Invitation code"), max_length=32)


def enterprise_seen_by(person: User, pk: int) -> User:
    """The enterprise, if `person` is it or one of its members; 404 for anyone else."""
    enterprise = User.objects.filter(pk=pk, kind=User.Kind.ENTERPRISE).first()
    if enterprise is None or not (
        person.pk == enterprise.pk or enterprises.role_in(enterprise, person) is not None
    ):
        raise Http404(_("No such enterprise."))
    return enterprise


@login_required
def my_enterprises(request):
    """The enterprises the person acts for (and their own, for an enterprise account)."""
    user = request.user
    if user.kind == User.Kind.ENTERPRISE:
        return redirect("accounts:enterprise", user.pk)
    roles = EnterpriseMember.objects.filter(member=user).select_related("enterprise")
    return render(request, "accounts/my_enterprises.html", {"roles": roles})


@login_required
def enterprise(request, pk: int):
    enterprise = enterprise_seen_by(request.user, pk)
    members = sorted(
        EnterpriseMember.objects.filter(enterprise=enterprise).select_related("member"),
        key=lambda member: (list(EnterpriseRole.values).index(member.role), member.added_at),
    )
    return render(
        request,
        "accounts/enterprise.html",
        {
            "enterprise": enterprise,
            "members": members,
            "may_manage": enterprises.may_manage_members(request.user, enterprise),
            "form": InvitationForm(),
            "invitation_code": request.session.pop("invitation_code", None),
        },
    )


@login_required
@require_POST
@rate_limited("filing", key=by_user_or_ip)
def invite(request, pk: int):
    enterprise = enterprise_seen_by(request.user, pk)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("accounts:enterprise", pk)
    try:
        _invitation, code = enterprises.invite(
            enterprise=enterprise, role=form.cleaned_data["role"], invited_by=request.user
        )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("accounts:enterprise", pk)
    # Shown once, on the next page: never stored in clear.
    request.session["invitation_code"] = {
        "code": code,
        "link": request.build_absolute_uri(reverse("accounts:accept_invitation") + f"?code={code}"),
    }
    return redirect("accounts:enterprise", pk)


@login_required
@require_POST
def remove_member(request, pk: int, member_id: int):
    enterprise = enterprise_seen_by(request.user, pk)
    try:
        enterprises.remove_member(enterprise=enterprise, member_id=member_id, actor=request.user)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(
            request,
            _(
                "The member is removed: from their next request on they can no longer act for the enterprise."
            ),
        )
    return redirect("accounts:enterprise", pk)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("login", key=by_user_or_ip)
def accept_invitation(request):
    form = AcceptInvitationForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    invitation = None
    if request.method == "GET" and request.GET.get("code"):
        invitation = enterprises.pending_invitation(request.GET["code"])
    if request.method == "POST" and form.is_valid():
        try:
            member = enterprises.accept_invitation(
                code=form.cleaned_data["code"], person=request.user
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(
                request,
                _("You now act for %(enterprise)s as %(role)s.")
                % {
                    "enterprise": member.enterprise.enterprise_name,
                    "role": member.get_role_display(),
                },
            )
            return redirect("accounts:enterprise", member.enterprise_id)
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation}
    )
