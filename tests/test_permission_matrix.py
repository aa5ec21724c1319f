"""Every URL of the portal, requested as each kind of person, against the table of who may.

The URLs come from the URL configuration itself: a new URL without a row in EXPECTED fails
`test_every_url_has_a_row_in_the_permission_table`, so nobody adds a page without deciding
who may see it. The Django admin is one site with one rule (ADMIN_RULE), checked on every
one of its URLs.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.anchors import anchor_day
from accounts.enterprises import add_member
from accounts.models import AuditEntry, EnterpriseRole, Membership, Notification
from approvals import clocks
from approvals.decisions import Outcome, decide
from approvals.routing import route_application
from approvals.substitutes import name_substitute
from disclosure.models import Publication
from disclosure.publishing import approve_publication, draft_publication
from instruments.generation import issue_instruments_of
from services import filing
from services.parties import authorise
from tests.consultation_factories import comment_on, consultation_of
from tests.factories import (
    DEFAULT_ANSWERS,
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    MaterialFactory,
    MembershipFactory,
    StaffFactory,
    accept,
    draft_application,
    head_of,
    item_with_stages,
    pdf_upload,
    reviewer_of,
    routed_application,
    second_city,
    sniffed,
)
from tests.letter_factories import answered, letter_of, triaged

ROLES = (
    "anonymous",
    "citizen_b",
    "enterprise",
    "reviewer_y",
    "reviewer_x",
    "head_x",
    "admin",
    # A reviewer of 芜湖's market bureau and a clerk of 芜湖's service centre: the world's cases
    # are all 合肥's (issue 16: staff see their own region's work only).
    "staff_wuhu",
    # Last: what the owner does (withdraw, say) must not change the case for the others.
    "citizen_a",
)

OK, LOGIN, FORBIDDEN, NOT_FOUND, REDIRECT = 200, "login", 403, 404, 302
# The API (/api/…) never redirects to the login page: it says who is asking is unknown (401),
# or that what was sent is incomplete (400: the row's empty request got past every check).
UNAUTHENTICATED, INVALID = 401, 400


def everyone(status):
    return dict.fromkeys(ROLES, status)


def owner_only(owner_status=OK):
    """Only citizen A: everyone else logged in gets 404, so no one learns the case exists."""
    return {**everyone(NOT_FOUND), "anonymous": LOGIN, "citizen_a": owner_status}


def department_x_only(status=OK):
    """Staff of department X; other staff 404; applicants 403 (staff pages); anonymous log in."""
    return {
        "anonymous": LOGIN,
        "citizen_a": FORBIDDEN,
        "citizen_b": FORBIDDEN,
        "enterprise": FORBIDDEN,
        "reviewer_x": status,
        "head_x": status,
        "reviewer_y": NOT_FOUND,
        "admin": NOT_FOUND,
    }


def staff_only(status=OK):
    return {
        **everyone(status),
        "anonymous": LOGIN,
        "citizen_a": FORBIDDEN,
        "citizen_b": FORBIDDEN,
        "enterprise": FORBIDDEN,
    }


def logged_in(status=OK):
    return {**everyone(status), "anonymous": LOGIN}


def api_logged_in(status=OK):
    return {**everyone(status), "anonymous": UNAUTHENTICATED}


def api_owner_only(owner_status=OK):
    return {**owner_only(owner_status), "anonymous": UNAUTHENTICATED}


def api_staff_only(status=OK):
    return {**staff_only(status), "anonymous": UNAUTHENTICATED}


def api_department_x_only(status=OK, **overrides):
    return {**department_x_only(status), "anonymous": UNAUTHENTICATED, **overrides}


SAME_AS_ANOTHER_DEPARTMENT = "as reviewer_y"


@dataclass
class Row:
    expected: dict
    kwargs: object = None  # a function of the world giving the URL's arguments
    method: str = "get"
    # What the civil servant of another city gets: unless the row says, what a civil servant of
    # another department of the same city gets (reviewer Y). Another region is never more.
    other_region: object = SAME_AS_ANOTHER_DEPARTMENT

    def __post_init__(self):
        self.expected = {
            **self.expected,
            "staff_wuhu": self.expected["reviewer_y"]
            if self.other_region == SAME_AS_ANOTHER_DEPARTMENT
            else self.other_region,
        }


EXPECTED: dict[str, Row] = {
    "home": Row(everyone(OK)),
    # The catalogue's import and export (services/catalogue_admin_io.py): administrators only;
    # others are sent to the admin's login.
    "catalogue_export": Row({**everyone(LOGIN), "admin": OK}),
    "catalogue_import": Row({**everyone(LOGIN), "admin": OK}),
    "health": Row(everyone(OK)),
    "set_language": Row(everyone(REDIRECT), method="post"),
    "accounts:login": Row(everyone(OK)),
    "accounts:logout": Row(everyone(REDIRECT), method="post"),
    "accounts:register_citizen": Row(everyone(OK)),
    "accounts:register_enterprise": Row(everyone(OK)),
    # Without a registration or a reset under way, each sends back to the page that starts it.
    "accounts:register_confirm": Row(everyone(REDIRECT)),
    "accounts:password_reset": Row(everyone(OK)),
    "accounts:password_reset_confirm": Row(everyone(REDIRECT)),
    "accounts:account": Row(logged_in(OK)),
    "accounts:password_change": Row(logged_in(OK)),
    "accounts:password_change_done": Row(logged_in(OK)),
    "accounts:reauthenticate": Row(logged_in(OK)),
    # Already verified (staff) or never asked (applicants): sent on to their page.
    "accounts:otp_verify": Row(logged_in(REDIRECT)),
    "accounts:otp_enrol": Row(logged_in(REDIRECT)),
    # Everyone logged in ends up on the login page: that is what the button is for.
    "accounts:log_out_everywhere": Row(everyone(LOGIN), method="post"),
    # The inbox is each person's own; another's notification is not found.
    "accounts:inbox": Row(logged_in(OK)),
    "accounts:notification": Row(owner_only(), lambda w: [w.notification.pk]),
    "accounts:mark_read": Row(logged_in(REDIRECT), method="post"),
    # Anyone may try to claim a counter-opened account: the receipt's code is the key.
    "accounts:claim": Row(everyone(OK)),
    # Enterprises and their members (docs/people.md): citizen B is the enterprise's clerk.
    "accounts:my_enterprises": Row({**logged_in(OK), "enterprise": REDIRECT}),
    "accounts:enterprise": Row(
        {**everyone(NOT_FOUND), "anonymous": LOGIN, "enterprise": OK, "citizen_b": OK},
        lambda w: [w.people["enterprise"].pk],
    ),
    # The clerk is refused with a message (audited); only the enterprise or its administrator
    # invites and removes.
    "accounts:invite_member": Row(
        {**everyone(NOT_FOUND), "anonymous": LOGIN, "enterprise": REDIRECT, "citizen_b": REDIRECT},
        lambda w: [w.people["enterprise"].pk],
        method="post",
    ),
    "accounts:remove_member": Row(
        {**everyone(NOT_FOUND), "anonymous": LOGIN, "enterprise": REDIRECT, "citizen_b": REDIRECT},
        lambda w: [w.people["enterprise"].pk, w.clerk_membership.pk],
        method="post",
    ),
    "accounts:accept_invitation": Row(logged_in(OK)),
    # Agents: citizen A authorised citizen B. Staff have no authorisations to give.
    "services:authorisations": Row(
        staff_only(FORBIDDEN) | {"citizen_a": OK, "citizen_b": OK, "enterprise": OK}
    ),
    "services:revoke_authorisation": Row(
        {
            **everyone(NOT_FOUND),
            "anonymous": LOGIN,
            "citizen_a": REDIRECT,
            **dict.fromkeys(("reviewer_x", "reviewer_y", "head_x", "admin"), FORBIDDEN),
        },
        lambda w: [w.authorisation.pk],
        method="post",
    ),
    "services:power_of_attorney": Row(
        {**everyone(NOT_FOUND), "anonymous": LOGIN, "citizen_a": OK, "citizen_b": OK},
        lambda w: [w.authorisation.pk],
    ),
    # Only service-centre staff (see tests/test_counter_filing.py): 芜湖's clerk reaches the
    # counter, but not a case that was not filed at it (tests/test_regions.py: nor 合肥's).
    "counter:home": Row({**everyone(FORBIDDEN), "anonymous": LOGIN}, other_region=OK),
    "counter:application": Row(
        {**everyone(FORBIDDEN), "anonymous": LOGIN},
        lambda w: [w.draft.pk],
        other_region=NOT_FOUND,
    ),
    "services:catalogue": Row(everyone(OK)),
    "services:guide": Row(everyone(OK), lambda w: [w.item.code]),
    "services:sample": Row(everyone(OK), lambda w: [w.item.code, w.material_with_sample.pk]),
    # Starting a draft redirects to its form (applicants) or back to the guide (others).
    "services:start": Row(logged_in(REDIRECT), lambda w: [w.item.code], method="post"),
    "services:mine": Row(logged_in(OK)),
    "services:edit": Row(owner_only(), lambda w: [w.draft.pk]),
    "services:autosave": Row(owner_only(), lambda w: [w.draft.pk], method="post"),
    # The confirmation page; discarding itself (POST) is in tests/test_drafts.py.
    "services:discard": Row(owner_only(), lambda w: [w.draft.pk]),
    "services:withdraw": Row(owner_only(REDIRECT), lambda w: [w.in_review.pk], method="post"),
    "services:attachment": Row(owner_only(), lambda w: [w.in_review.pk, w.attachment.pk]),
    "application_status": Row(owner_only(), lambda w: [w.in_review.pk]),
    "services:rate": Row(owner_only(REDIRECT), lambda w: [w.decided.pk], method="post"),
    "approvals:queue": Row(staff_only()),
    "approvals:head": Row(staff_only()),
    "approvals:task": Row(department_x_only(), lambda w: [w.task_x.pk]),
    # An empty form is re-shown with its errors: reaching it is what is checked here.
    "approvals:clock": Row(department_x_only(), lambda w: [w.task_x.pk], method="post"),
    "approvals:extension": Row(department_x_only(), lambda w: [w.task_x.pk], method="post"),
    "approvals:attachment": Row(department_x_only(), lambda w: [w.task_x.pk, w.attachment.pk]),
    # The power of attorney of a case an agent (citizen B) filed for citizen A.
    "approvals:power_of_attorney": Row(department_x_only(), lambda w: [w.task_filed_by_agent.pk]),
    # The framed preview: the same door as the download, for the task's department only.
    "approvals:attachment_preview": Row(
        department_x_only(), lambda w: [w.task_x.pk, w.attachment.pk]
    ),
    # Claiming and releasing answer with a redirect and a message, whatever the outcome.
    "approvals:claim": Row(department_x_only(REDIRECT), lambda w: [w.task_x.pk], method="post"),
    "approvals:release": Row(department_x_only(REDIRECT), lambda w: [w.task_x.pk], method="post"),
    # Heads only: reassigning a task, naming and ending substitutes (代理审批).
    "approvals:reassign": Row(
        {**department_x_only(FORBIDDEN), "head_x": REDIRECT}, lambda w: [w.task_x.pk], method="post"
    ),
    "approvals:substitutions": Row({**staff_only(FORBIDDEN), "head_x": OK}),
    "approvals:end_substitution": Row(
        {**staff_only(NOT_FOUND), "head_x": REDIRECT},
        lambda w: [w.substitution.pk],
        method="post",
    ),
    "approvals:decide_extension": Row(
        {**department_x_only(NOT_FOUND), "head_x": REDIRECT},
        lambda w: [w.extension.pk],
        method="post",
    ),
    "disclosure:index": Row(everyone(OK)),
    "disclosure:decisions": Row(everyone(OK)),
    "disclosure:decision": Row(everyone(OK), lambda w: [w.decided.tracking_number]),
    "disclosure:publications": Row(everyone(OK)),
    "disclosure:publication": Row(everyone(OK), lambda w: [w.publication.number]),
    "disclosure:publication_attachment": Row(
        everyone(OK), lambda w: [w.publication.number, w.publication.attachments.get().pk]
    ),
    "disclosure:search": Row(everyone(OK)),
    "disclosure:feed": Row(everyone(OK)),
    "disclosure:feed_kind": Row(everyone(OK), lambda w: ["notice"]),
    "disclosure:feed_department": Row(everyone(OK), lambda w: [w.department_x.code]),
    "disclosure:decisions_feed": Row(everyone(OK)),
    "disclosure:statistics": Row(everyone(OK)),
    "disclosure:statistics_csv": Row(everyone(OK), lambda w: ["departments"]),
    "disclosure:annual_report": Row(everyone(OK), lambda w: [w.this_year]),
    "disclosure:annual_report_csv": Row(everyone(OK), lambda w: [w.this_year]),
    "sitemap": Row(everyone(OK)),
    "disclosure:staff_publications": Row(staff_only()),
    "disclosure:new_publication": Row(staff_only()),
    # Drafts are the department's: other staff (administrators too) do not learn they exist.
    "disclosure:draft": Row(department_x_only(), lambda w: [w.draft_publication.pk]),
    # The author (reviewer X) is sent back with an error, the head publishes: both redirect.
    "disclosure:approve": Row(
        department_x_only(REDIRECT), lambda w: [w.draft_publication.pk], method="post"
    ),
    # An empty reason is refused with a message (redirect); nothing is withdrawn.
    "disclosure:withdraw": Row(
        department_x_only(REDIRECT), lambda w: [w.publication.pk], method="post"
    ),
    "disclosure:requests": Row(staff_only()),
    # Not a disclosure request this department answered: no staff member may publish it.
    "disclosure:publish_answer": Row(
        staff_only(NOT_FOUND), lambda w: [w.decided.pk], method="post"
    ),
    # Only the department's heads see its internal statistics.
    "disclosure:department_statistics": Row(
        {**department_x_only(), "reviewer_x": NOT_FOUND}, lambda w: [w.department_x.code]
    ),
    # E-certificates: the holder's copy is the applicant's alone; verification is public.
    "application_certificate": Row(owner_only(), lambda w: [w.decided.pk]),
    "application_certificate_json": Row(owner_only(), lambda w: [w.decided.pk]),
    # Consultations on drafts: anyone reads; citizens and enterprises comment (an empty comment
    # is shown again with its error); the department's staff moderate and report.
    "disclosure:consultations": Row(everyone(OK)),
    "disclosure:consultation": Row(everyone(OK), lambda w: [w.consultation.publication.number]),
    "disclosure:consultation_comment": Row(
        {
            **staff_only(FORBIDDEN),
            "anonymous": LOGIN,
            "citizen_a": OK,
            "citizen_b": OK,
            "enterprise": OK,
        },
        lambda w: [w.consultation.publication.number],
        method="post",
    ),
    "disclosure:staff_consultations": Row(staff_only()),
    "disclosure:new_consultation": Row(staff_only()),
    "disclosure:staff_consultation": Row(department_x_only(), lambda w: [w.consultation.pk]),
    # An empty form is refused with a message (redirect); nothing is moderated or drafted.
    "disclosure:moderate_comment": Row(
        department_x_only(REDIRECT), lambda w: [w.comment.pk], method="post"
    ),
    "disclosure:feedback_report": Row(
        department_x_only(REDIRECT), lambda w: [w.consultation.pk], method="post"
    ),
    # The elderly-friendly mode's switch: anyone, back to the page they were on.
    "elderly_mode": Row(everyone(REDIRECT), method="post"),
    "disclosure:verify_certificate": Row(everyone(OK)),
    "disclosure:certificate": Row(everyone(OK), lambda w: [w.decided.certificate.number]),
    "disclosure:certificate_keys": Row(everyone(OK)),
    # The audit log's daily anchors are public; an entry's inclusion proof holds the entry, so
    # it is for the case's applicant and those who may read the log.
    "disclosure:anchors": Row(everyone(OK)),
    "disclosure:anchor": Row(everyone(OK), lambda w: [w.anchor.day.isoformat()]),
    "disclosure:anchor_json": Row(everyone(OK), lambda w: [w.anchor.day.isoformat()]),
    "disclosure:anchor_feed": Row(everyone(OK)),
    "disclosure:verify_proof": Row(everyone(OK)),
    "disclosure:entry_proof": Row(
        {**everyone(NOT_FOUND), "anonymous": LOGIN, "citizen_a": OK, "admin": OK},
        lambda w: [w.audit_entry.pk],
    ),
    # Written instruments: the parties' and the departments' concerned; verification is public.
    "instrument_download": Row(owner_only(), lambda w: [w.decided.pk, w.instrument.pk]),
    "instruments:staff_download": Row(
        department_x_only(), lambda w: [w.decided_task.pk, w.instrument.pk]
    ),
    "instruments:verify": Row(everyone(OK)),
    "instruments:check": Row(everyone(OK), lambda w: [w.instrument.token]),
    # --- the REST API (docs/api.md): the same rules, in JSON ---
    "api:schema": Row(everyone(OK)),
    "api:docs": Row(everyone(OK)),
    "api:redoc": Row(everyone(OK)),
    # Tokens come from credentials only: an empty request is refused whoever sends it.
    "api:token": Row(everyone(INVALID), method="post"),
    # A browser session is not a token: there is none to revoke.
    "api:token_revoke": Row(api_logged_in(INVALID), method="post"),
    "api:me": Row(api_logged_in(OK)),
    "api:service-list": Row(everyone(OK)),
    "api:service-detail": Row(everyone(OK), lambda w: [w.item.code]),
    "api:application-list": Row(api_logged_in(OK)),
    "api:application-detail": Row(api_owner_only(), lambda w: [w.in_review.pk]),
    "api:application-attach": Row(api_owner_only(INVALID), lambda w: [w.draft.pk], method="post"),
    "api:application-attachment": Row(
        api_owner_only(), lambda w: [w.in_review.pk, w.attachment.pk]
    ),
    "api:application-submit": Row(api_owner_only(INVALID), lambda w: [w.draft.pk], method="post"),
    "api:application-supplement": Row(
        api_owner_only(INVALID), lambda w: [w.in_review.pk], method="post"
    ),
    "api:application-withdraw": Row(api_owner_only(), lambda w: [w.in_review.pk], method="post"),
    "api:task-list": Row(api_staff_only()),
    "api:task-overdue": Row(api_staff_only()),
    "api:task-detail": Row(api_department_x_only(), lambda w: [w.task_x.pk]),
    "api:task-attachment": Row(api_department_x_only(), lambda w: [w.task_x.pk, w.attachment.pk]),
    # The reviewer claims first; the head then finds it taken.
    "api:task-claim": Row(
        api_department_x_only(OK, head_x=INVALID), lambda w: [w.task_x.pk], method="post"
    ),
    "api:task-release": Row(api_department_x_only(), lambda w: [w.task_x.pk], method="post"),
    # Heads see and end their departments' substitutions; other staff an empty list, or 404.
    "api:substitution-list": Row(api_staff_only(OK)),
    "api:substitution-end": Row(
        {**api_staff_only(NOT_FOUND), "head_x": OK}, lambda w: [w.substitution.pk], method="post"
    ),
    "api:task-reassign": Row(
        api_department_x_only(FORBIDDEN, head_x=INVALID), lambda w: [w.task_x.pk], method="post"
    ),
    "api:task-decision": Row(
        api_department_x_only(INVALID), lambda w: [w.task_x.pk], method="post"
    ),
    "api:task-clock-stop": Row(
        api_department_x_only(INVALID), lambda w: [w.task_x.pk], method="post"
    ),
    "api:task-clock-resume": Row(
        api_department_x_only(INVALID), lambda w: [w.task_x.pk], method="post"
    ),
    "api:task-extension": Row(
        api_department_x_only(INVALID), lambda w: [w.task_x.pk], method="post"
    ),
    "api:extension-list": Row(api_staff_only()),
    "api:extension-decision": Row(
        api_department_x_only(NOT_FOUND, head_x=INVALID), lambda w: [w.extension.pk], method="post"
    ),
    "api:publication-list": Row(everyone(OK)),
    "api:publication-detail": Row(everyone(OK), lambda w: [w.publication.pk]),
    "api:decision-list": Row(everyone(OK)),
    "api:decision-detail": Row(everyone(OK), lambda w: [w.decided.tracking_number]),
    "api:certificate": Row(everyone(OK), lambda w: [w.decided.certificate.number]),
    "api:application-instruments": Row(api_owner_only(), lambda w: [w.decided.pk]),
    "api:application-instrument": Row(api_owner_only(), lambda w: [w.decided.pk, w.instrument.pk]),
    # No file: refused whoever sends it.
    "api:instrument-verify": Row(everyone(INVALID), method="post"),
    "api:statistics": Row(everyone(OK)),
    "api:consultation-list": Row(everyone(OK)),
    "api:consultation-detail": Row(everyone(OK), lambda w: [w.consultation.pk]),
    "api:consultation-comments": Row(everyone(OK), lambda w: [w.consultation.pk]),
    "api:consultation-comment-list": Row(api_staff_only()),
    "api:consultation-comment-detail": Row(api_department_x_only(), lambda w: [w.comment.pk]),
    # An empty decision is refused; nothing is moderated.
    "api:consultation-comment-moderation": Row(
        api_department_x_only(INVALID), lambda w: [w.comment.pk], method="post"
    ),
    # Letters (政民互动): citizens and enterprises write; the letter is its writer's alone (an
    # empty rating or a second answer not allowed is shown again with its error); published
    # letters are everyone's; the letter's tasks are the departments' (an empty form: 400).
    "services:write_letter": Row(
        {
            **staff_only(FORBIDDEN),
            "anonymous": LOGIN,
            "citizen_a": OK,
            "citizen_b": OK,
            "enterprise": OK,
        }
    ),
    "letter": Row(owner_only(), lambda w: [w.letter.pk]),
    "letter_rating": Row(owner_only(), lambda w: [w.letter.pk], method="post"),
    "letter_second_answer": Row(owner_only(), lambda w: [w.letter.pk], method="post"),
    "disclosure:letters": Row(everyone(OK)),
    "disclosure:letter": Row(everyone(OK), lambda w: [w.letter.application.tracking_number]),
    "api:letter-list": Row(api_logged_in()),
    "api:letter-detail": Row(api_owner_only(), lambda w: [w.letter.pk]),
    "api:letter-rating": Row(api_owner_only(INVALID), lambda w: [w.letter.pk], method="post"),
    "api:letter-second-answer": Row(
        api_owner_only(INVALID), lambda w: [w.letter.pk], method="post"
    ),
    "api:letter-task-list": Row(api_staff_only()),
    "api:letter-task-detail": Row(api_department_x_only(), lambda w: [w.letter_task_x.pk]),
    "api:letter-task-triage": Row(
        api_department_x_only(INVALID), lambda w: [w.letter_task_x.pk], method="post"
    ),
    "api:letter-task-answer": Row(
        api_department_x_only(INVALID), lambda w: [w.letter_task_x.pk], method="post"
    ),
    "api:published-letter-list": Row(everyone(OK)),
    "api:published-letter-detail": Row(
        everyone(OK), lambda w: [w.letter.application.tracking_number]
    ),
}


def url_names() -> list[str]:
    """Every named URL outside the admin, as `namespace:name`."""

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == admin.site.name:
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"URL {pattern.pattern} has no name, so no row can name it"
                yield namespace + pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


def admin_paths() -> list[str]:
    """Every admin URL, with 0 for each object id: the rule is about who reaches the admin."""
    resolver = next(
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "admin"
    )
    paths = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            else:
                paths.append("/" + route)

    walk(resolver.url_patterns, str(resolver.pattern))
    fill = {"<path:object_id>": "0", "<int:content_type_id>": "1", "<path:object_id>/": "0/"}
    concrete = []
    for path in paths:
        for placeholder, value in fill.items():
            path = path.replace(placeholder, value)
        if "<" in path or "(?P" in path:
            path = path.split("<")[0].split("(?P")[0]
        concrete.append(path)
    return sorted(set(concrete))


def test_every_url_has_a_row_in_the_permission_table():
    missing = [name for name in url_names() if name not in EXPECTED]
    assert not missing, f"Decide who may reach these URLs and add rows to EXPECTED: {missing}"
    stale = [name for name in EXPECTED if name not in url_names()]
    assert not stale, f"Rows for URLs that no longer exist: {stale}"


class World:
    """One case in every state a URL needs, and the eight kinds of people asking."""

    def __init__(self):
        self.department_x = DepartmentFactory(code="dept-x")
        self.department_y = DepartmentFactory(code="dept-y")
        self.item = item_with_stages([[self.department_x]], audience="both")
        self.material_with_sample = MaterialFactory(
            item=self.item, code="template", is_required=False
        )
        self.material_with_sample.sample.save("template.pdf", pdf_upload().file)
        self.people = {
            "citizen_a": CitizenFactory(),
            "citizen_b": CitizenFactory(),
            "enterprise": EnterpriseFactory(),
            "reviewer_x": reviewer_of(self.department_x),
            "reviewer_y": reviewer_of(self.department_y),
            "head_x": head_of(self.department_x),
            "admin": StaffFactory(is_staff=True, is_superuser=True),
            "staff_wuhu": staff_of_another_city(),
        }
        owner = self.people["citizen_a"]
        self.clerk_membership = add_member(
            enterprise=self.people["enterprise"],
            person=self.people["citizen_b"],
            role=EnterpriseRole.CLERK,
        )
        self.authorisation = authorise(
            principal=owner,
            agent=self.people["citizen_b"],
            item=None,
            valid_from=timezone.localdate(),
            valid_until=timezone.localdate() + timedelta(days=30),
            power_of_attorney=sniffed(pdf_upload("委托书.pdf")),
        )
        self.task_filed_by_agent = filed_by_agent_in_review(
            self.item, owner, self.people["citizen_b"], self.department_x
        )
        self.draft = draft_application(self.item, owner)
        self.in_review = routed_application(self.item, owner)
        self.task_x = self.in_review.review_tasks.get(department=self.department_x)
        self.attachment = self.in_review.attachments.first()
        self.extension = clocks.request_extension(
            self.task_x.pk, self.people["reviewer_x"], 2, "需要补充调查"
        )
        self.decided = routed_application(self.item, owner)
        decided_task = self.decided.review_tasks.get(department=self.department_x)
        decide(decided_task.pk, self.people["reviewer_x"], Outcome.APPROVE, "同意")
        self.decided_task = decided_task
        # In a `db` test nothing commits, so the after-commit task never runs: issue them here.
        self.instrument = issue_instruments_of(self.decided.pk)[0]
        self.notification = Notification.objects.filter(recipient=owner).first()
        drafted = draft_publication(
            self.people["reviewer_x"],
            department=self.department_x,
            kind=Publication.Kind.NOTICE,
            classification=Publication.Classification.PUBLIC,
            title="关于开展营商环境评估的通知",
            body="正文",
            attachments=[pdf_upload("评估方案.pdf")],
        )
        self.publication = approve_publication(drafted.pk, self.people["head_x"])
        self.draft_publication = draft_publication(
            self.people["reviewer_x"],
            department=self.department_x,
            kind=Publication.Kind.DOCUMENT,
            classification=Publication.Classification.PUBLIC,
            title="营商环境评估办法（草稿）",
            body="草稿正文",
        )
        self.consultation = consultation_of(
            self.department_x, author=self.people["reviewer_x"], approver=self.people["head_x"]
        )
        self.comment = comment_on(self.consultation, self.people["citizen_b"])
        # A letter of citizen A, answered by department X and published with consent.
        self.letter = letter_of(owner, department_code="dept-x")
        (self.letter_task_x,) = triaged(self.letter, self.department_x)
        answered(self.letter_task_x, self.people["reviewer_x"])
        self.substitution = name_substitute(
            head=self.people["head_x"],
            department=self.department_x,
            reviewer=self.people["reviewer_x"],
            substitute=self.people["head_x"],
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
        )
        self.this_year = timezone.localdate().year
        # The audit entry behind the decision, anchored: its proof is the applicant's to take.
        self.audit_entry = (
            AuditEntry.objects.filter(
                object_type="services.application", object_id=str(self.decided.pk)
            )
            .order_by("-id")
            .first()
        )
        self.anchor = anchor_day(timezone.localdate())
        assert Membership.objects.filter(user=self.people["head_x"], role="head").exists()


def staff_of_another_city():
    """A reviewer of 芜湖's market bureau who is also a clerk of 芜湖's service centre."""
    wuhu = second_city()
    reviewer = reviewer_of(DepartmentFactory(code="wuhu-market", region=wuhu))
    centre = DepartmentFactory(code="wuhu-centre", region=wuhu, is_service_centre=True)
    MembershipFactory(user=reviewer, department=centre, role=Membership.Role.CLERK)
    return reviewer


def filed_by_agent_in_review(item, principal, agent, department):
    """A case the agent filed for the principal, accepted and in review at `department`."""
    application = filing.start_draft(item, principal, filed_by=agent)
    uploads = {
        material.code: sniffed(pdf_upload(f"{material.code}.pdf"))
        for material in application.definition.materials
        if material.is_required
    }
    filing.save_draft(application, dict(DEFAULT_ANSWERS), uploads, agent)
    filing.submit(application, agent)
    route_application(application.pk)
    accept(application)
    return application.review_tasks.get(department=department)


@pytest.fixture
def world(db):
    return World()


def request_as(client_for, world, role, method, url):
    from django.test import Client

    client = (
        Client(headers={"accept-language": "en"})
        if role == "anonymous"
        else client_for(world.people[role])
    )
    return getattr(client, method)(url)


def status_of(response):
    if response.status_code == 302 and "/login/" in response.headers.get("Location", ""):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_url_answers_each_kind_of_person_as_the_table_says(name, world, client_for):
    row = EXPECTED[name]
    url = reverse(name, args=row.kwargs(world) if row.kwargs else [])
    seen = {role: status_of(request_as(client_for, world, role, row.method, url)) for role in ROLES}
    assert seen == row.expected


ADMIN_RULE = {
    **dict.fromkeys(ROLES, "admin-login"),
    "admin": "reachable",
}


def test_only_administrators_reach_the_django_admin(world, client_for):
    unexpected = []
    for path in admin_paths():
        for role in ROLES:
            response = request_as(client_for, world, role, "get", path)
            location = response.headers.get("Location", "")
            if path.startswith("/admin/login") or path.startswith("/admin/logout"):
                continue
            seen = (
                "admin-login"
                if response.status_code == 302 and "/admin/login/" in location
                else "reachable"
            )
            if role == "admin" and response.status_code >= 500:
                seen = f"error {response.status_code}"
            if seen != ADMIN_RULE[role]:
                unexpected.append((path, role, response.status_code))
    assert not unexpected
