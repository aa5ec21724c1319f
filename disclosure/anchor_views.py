"""The audit log's public anchors: the list, a day's page, its JSON, the Atom feed, proofs.

The anchors are public (they hold hashes and chain names only). An inclusion proof holds one
audit entry's content, so only who may read that entry downloads it: staff allowed to view
the audit log, and the applicant of the case the entry is about. The verification page takes
a proof anyone was given and says whether the portal's signed anchors include it.
"""

import json
from datetime import date

from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import anchors
from accounts.models import AuditAnchor, AuditEntry
from approvals.models import ReviewTask
from common.ratelimits import by_ip, rate_limited
from services.models import Application

from .forms import ProofUploadForm

PROBLEM_MESSAGES = {
    anchors.ProofProblem.MALFORMED: gettext_lazy(
        "This file is not an inclusion proof of this portal's audit log."
    ),
    anchors.ProofProblem.ENTRY_EDITED: gettext_lazy(
        "The entry in this proof was changed: its content no longer gives its hash."
    ),
    anchors.ProofProblem.CHAIN_MISMATCH: gettext_lazy(
        "The entry does not lead to the chain head that was anchored."
    ),
    anchors.ProofProblem.MERKLE_MISMATCH: gettext_lazy(
        "The chain head does not lead to the anchored root."
    ),
    anchors.ProofProblem.UNKNOWN_KEY: gettext_lazy(
        "The anchor was signed with a key this portal does not know."
    ),
    anchors.ProofProblem.BAD_SIGNATURE: gettext_lazy("The anchor's signature is not valid."),
    anchors.ProofProblem.NOT_PUBLISHED: gettext_lazy(
        "The anchor in this proof is not the one this portal published for that day."
    ),
}


def anchor_list(request):
    page = Paginator(AuditAnchor.objects.order_by("-day"), 30).get_page(request.GET.get("page"))
    keys = anchors.anchor_keys()
    return render(request, "disclosure/anchors.html", {"page": page, "keys": keys})


def _anchor_of(day: str) -> AuditAnchor:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise Http404(_("No anchor for this day.")) from None  # a malformed day is unknown
    return get_object_or_404(AuditAnchor, day=parsed)


def anchor_detail(request, day: str):
    anchor = _anchor_of(day)
    return render(
        request,
        "disclosure/anchor.html",
        {
            "anchor": anchor,
            "signature_is_valid": anchors.signature_is_valid(anchor),
        },
    )


def anchor_json(request, day: str):
    anchor = _anchor_of(day)
    response = JsonResponse(anchors.anchor_document(anchor), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="audit-anchor-{anchor.day}.json"'
    return response


def _may_read_entry(user, entry: AuditEntry) -> bool:
    if user.has_perm("accounts.view_auditentry"):
        return True
    application_id = None
    if entry.object_type == "services.application":
        application_id = entry.object_id
    elif entry.object_type == "approvals.reviewtask":
        application_id = (
            ReviewTask.objects.filter(pk=entry.object_id)
            .values_list("application_id", flat=True)
            .first()
        )
    if not application_id or not str(application_id).isdigit():
        return False
    return Application.objects.filter(pk=application_id, applicant=user).exists()


@login_required
def entry_proof(request, entry_id: int):
    """The inclusion proof of one audit entry, for whoever may read the entry."""
    entry = AuditEntry.objects.select_related("chain").filter(pk=entry_id).first()
    # Not found and not allowed look alike: nobody learns which entries exist.
    if entry is None or not _may_read_entry(request.user, entry):
        raise Http404(_("No such audit entry."))
    try:
        proof = anchors.inclusion_proof(entry)
    except anchors.ProofUnavailable:
        raise Http404(
            _("This entry is not anchored yet: its proof is ready after the next daily anchor.")
        ) from None
    response = JsonResponse(proof, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="audit-proof-{entry.pk}.json"'
    return response


@rate_limited("verification", key=by_ip, methods=("POST",))
def verify_proof(request):
    """Upload a proof: is the entry it shows part of a root this portal signed and published?"""
    result = None
    form = ProofUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        result = anchors.verify_proof(form.cleaned_data["proof"])
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(
        request,
        "disclosure/anchor_verify.html",
        {
            "form": form,
            "result": result,
            "problem_message": PROBLEM_MESSAGES.get(result.problem) if result else None,
        },
        status=status,
    )


class AnchorFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("Audit log: signed daily anchors")
    subtitle = gettext_lazy(
        "Each day, the Merkle root of every audit chain's head, signed by the portal."
    )

    def link(self):
        return reverse("disclosure:anchors")

    def items(self):
        return AuditAnchor.objects.order_by("-day")[:30]

    def item_title(self, item: AuditAnchor) -> str:
        return f"{item.day:%Y-%m-%d} {item.root_hash}"

    def item_description(self, item: AuditAnchor) -> str:
        return json.dumps(
            {
                "root_hash": item.root_hash,
                "tree_size": item.tree_size,
                "hash_algorithm": item.hash_algorithm,
                "signature_algorithm": item.signature_algorithm,
                "key_id": item.key_id,
                "signature": item.signature,
            },
            sort_keys=True,
        )

    def item_link(self, item: AuditAnchor) -> str:
        return reverse("disclosure:anchor", args=[item.day.isoformat()])

    def item_pubdate(self, item: AuditAnchor):
        return item.created_at
