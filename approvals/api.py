"""The virtual government in the REST API: the applicant's status, and the staff's queue,
tasks and extensions. Same reads (approvals/queues.py), same permission checks
(approvals/permissions.py) and same domain functions (decisions.decide, claims, clocks) as
the pages in approvals/views.py."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import is_civil_servant
from accounts.reauth import confirm_recent_identity
from services.api import MATERIAL_FILE, ApplicationViewSet
from services.materials import attachment_response

from . import claims, clocks, decisions, substitutes
from .filters import TaskFilter
from .models import ReviewTask, Substitution
from .permissions import visible_tasks
from .queues import (
    case_file,
    claim_rights,
    extension_requests_for_head,
    overdue_tasks_for_head,
    task_for_reviewer,
)
from .serializers import (
    ApplicationStatusSerializer,
    ClockStopRequestSerializer,
    DecisionSerializer,
    ExtensionDecisionSerializer,
    ExtensionRequestSerializer,
    ExtensionSerializer,
    ReassignSerializer,
    SubstitutionSerializer,
    TaskDetailSerializer,
    TaskSerializer,
)


class IsCivilServant(BasePermission):
    """As `staff_required` on the pages: applicants get 403, staff of other departments 404."""

    # Lazy: a class attribute is made once, at import; the caller's language is known per request.
    message = gettext_lazy("This is for civil servants.")

    def has_permission(self, request, view):
        return is_civil_servant(request.user)


STATUS_RESPONSE = extend_schema(responses={200: ApplicationStatusSerializer})


@extend_schema_view(
    retrieve=STATUS_RESPONSE,
    create=extend_schema(responses={201: ApplicationStatusSerializer}),
    partial_update=STATUS_RESPONSE,
    attach=extend_schema(responses={201: ApplicationStatusSerializer}),
    submit=STATUS_RESPONSE,
    supplement=STATUS_RESPONSE,
    withdraw=STATUS_RESPONSE,
)
class ApplicationStatusViewSet(ApplicationViewSet):
    """The applicant's applications with the status page's view of them: every department's
    state, deadline, clock stops, approved extension and opinion (`stages`)."""

    detail_serializer_class = ApplicationStatusSerializer


TASK_EXAMPLE = {
    "id": 7,
    "tracking_number": "2026112300000042",
    "application_id": 42,
    "item": {"code": "food-business-licence", "name": "食品经营许可", "name_en": ""},
    "stage_order": 1,
    "stage_name": "审查",
    "department": {"code": "market", "name": "市场监督管理局", "name_en": "Market Regulation"},
    "state": "pending",
    "state_display": "Under review",
    "due_at": "2026-11-30T11:00:00+08:00",
    "clock_stopped_at": None,
    "escalated_at": None,
    "is_overdue": False,
    "claimed_by": None,
    "claimed_at": None,
    "decided_at": None,
}
TASK_DETAIL_EXAMPLE = {
    **TASK_EXAMPLE,
    "opinion": "",
    "answers": [{"name": "business_name", "label": "经营者名称", "value": "张三便利店"}],
    "attachments": [],
    "clock_stops": [],
    "extension": None,
    "stages": [],
    "timeline": [],
}


def task_example(**changes):
    return [OpenApiExample("Task", value={**TASK_DETAIL_EXAMPLE, **changes}, response_only=True)]


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Review tasks of the caller's departments. Tasks of other departments are 404."""

    permission_classes = [IsAuthenticated, IsCivilServant]
    filterset_class = TaskFilter
    lookup_value_regex = r"[0-9]+"
    queryset = ReviewTask.objects.none()

    def get_queryset(self):
        return visible_tasks(self.request.user)

    def get_serializer_class(self):
        return TaskSerializer if self.action in ("list", "overdue") else TaskDetailSerializer

    def get_object(self):
        return task_for_reviewer(self.request.user, int(self.kwargs["pk"]))

    def task_response(self, task_id: int) -> Response:
        case = case_file(task_for_reviewer(self.request.user, task_id))
        context = {**self.get_serializer_context(), "case_file": case}
        return Response(TaskDetailSerializer(case.task, context=context).data)

    @extend_schema(
        tags=["tasks"],
        summary="My departments' queue",
        description="Open tasks by default, running clocks first, then by deadline; filter by "
        "state, item, claim and deadline, or order by due_at / created_at.",
        examples=[OpenApiExample("Row", value=TASK_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        tags=["tasks"],
        summary="A task",
        description="The case as the reviewer's page shows it: answers, current materials, "
        "every department's review, clock stops, the extension and the timeline.",
        examples=task_example(),
    )
    def retrieve(self, request, *args, **kwargs):
        return self.task_response(int(kwargs["pk"]))

    @extend_schema(
        tags=["tasks"],
        summary="Overdue tasks (head)",
        description="Open tasks of the departments the caller heads, past their deadline "
        "(escalated ones included); empty for others.",
        examples=[OpenApiExample("Row", value=TASK_EXAMPLE, response_only=True)],
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def overdue(self, request):
        page = self.paginate_queryset(overdue_tasks_for_head(request.user))
        return self.get_paginated_response(TaskSerializer(page, many=True).data)

    @extend_schema(
        tags=["tasks"],
        summary="Claim",
        description="Marks the task as the caller's, so colleagues pick another; 400 if a "
        "colleague holds it or it is decided.",
        request=None,
        examples=task_example(claimed_by="reviewer-market"),
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        task = task_for_reviewer(request.user, int(pk))
        claims.claim_task(task.pk, request.user)
        return self.task_response(task.pk)

    @extend_schema(
        tags=["tasks"],
        summary="Release",
        description="Gives a claimed task back to the queue: by its claimant or the head.",
        request=None,
        examples=task_example(),
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        task = task_for_reviewer(request.user, int(pk))
        claims.release_task(task.pk, request.user)
        return self.task_response(task.pk)

    @extend_schema(
        tags=["tasks"],
        summary="Reassign (head)",
        description="Moves the task and its claim to another reviewer of its department: by "
        "a head of that department (403 for others); 400 with the reason for a reviewer of "
        "another department, which is refused and logged.",
        request=ReassignSerializer,
        examples=[
            OpenApiExample("Reassign", value={"reviewer": "reviewer-market"}, request_only=True),
            *task_example(claimed_by="reviewer-market"),
        ],
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        task = task_for_reviewer(request.user, int(pk))
        if task.department_id not in claim_rights(request.user)["headed_department_ids"]:
            raise PermissionDenied(_("Only the department head can reassign a task."))
        serializer = ReassignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reviewer = (
            get_user_model()
            .objects.filter(username=serializer.validated_data["reviewer"], kind="staff")
            .first()
        )
        if reviewer is None:
            raise ValidationError({"reviewer": _("No civil servant has this username.")})
        claims.reassign_task(task.pk, request.user, reviewer)
        return self.task_response(task.pk)

    @extend_schema(
        tags=["tasks"],
        summary="Decide",
        description="Approve, reject (with reasons) or request supplements (listing every "
        "missing material at once; the clock stops until the applicant answers). The "
        "opinion is shown to the applicant.",
        request=DecisionSerializer,
        examples=[
            OpenApiExample(
                "Approve", value={"outcome": "approve", "opinion": "同意"}, request_only=True
            ),
            OpenApiExample(
                "Supplement",
                value={"outcome": "request_supplement", "opinion": "请补充营业场所照片。"},
                request_only=True,
            ),
            *task_example(state="approved", state_display="Approved", opinion="同意"),
        ],
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        task = task_for_reviewer(request.user, int(pk))
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decisions.decide(task.pk, request.user, **serializer.validated_data)
        return self.task_response(task.pk)

    @extend_schema(
        tags=["tasks"],
        summary="Stop the clock",
        description="A hearing, an on-site inspection or an expert review begins: the time "
        "does not count (Administrative License Law Art. 45); the applicant sees why.",
        request=ClockStopRequestSerializer,
        examples=[
            OpenApiExample(
                "Inspection",
                value={"reason": "inspection", "note": "现场核查"},
                request_only=True,
            ),
            *task_example(clock_stopped_at="2026-11-24T09:00:00+08:00"),
        ],
    )
    @action(detail=True, methods=["post"], url_path="clock-stop")
    def clock_stop(self, request, pk=None):
        task = task_for_reviewer(request.user, int(pk))
        serializer = ClockStopRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clocks.stop_clock(task.pk, request.user, **serializer.validated_data)
        return self.task_response(task.pk)

    @extend_schema(
        tags=["tasks"],
        summary="Resume the clock",
        description="The hearing, inspection or expert review is over: the deadline moves by "
        "the working days stopped.",
        request=None,
        examples=task_example(),
    )
    @action(detail=True, methods=["post"], url_path="clock-resume")
    def clock_resume(self, request, pk=None):
        task = task_for_reviewer(request.user, int(pk))
        clocks.resume_clock(task.pk, request.user)
        return self.task_response(task.pk)

    @extend_schema(
        tags=["tasks"],
        summary="Request the extension",
        description="One extension per task (Art. 42), up to the item's longest, decided by "
        "the department head; the applicant reads the reason.",
        request=ExtensionRequestSerializer,
        examples=[
            OpenApiExample(
                "Request",
                value={"working_days": 5, "reason": "需要组织专家论证"},
                request_only=True,
            ),
            *task_example(
                extension={"working_days": 5, "reason": "需要组织专家论证", "state": "requested"}
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def extension(self, request, pk=None):
        task = task_for_reviewer(request.user, int(pk))
        serializer = ExtensionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clocks.request_extension(task.pk, request.user, **serializer.validated_data)
        return self.task_response(task.pk)

    @extend_schema(
        tags=["tasks"],
        summary="Download a material",
        description="One of the case's files, as the applicant uploaded it.",
        responses=MATERIAL_FILE,
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)")
    def attachment(self, request, pk=None, attachment_id=None):
        task = task_for_reviewer(request.user, int(pk))
        attachment = get_object_or_404(task.application.attachments, pk=attachment_id)
        return attachment_response(attachment)


class ExtensionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Extension requests waiting for the head of the department: others see none (404)."""

    permission_classes = [IsAuthenticated, IsCivilServant]
    serializer_class = ExtensionSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = None

    def get_queryset(self):
        return extension_requests_for_head(self.request.user)

    @extend_schema(
        tags=["extensions"],
        summary="Extension requests to decide (head)",
        description="Requests from the departments the caller heads, oldest first.",
        examples=[
            OpenApiExample(
                "Request",
                value={
                    "id": 3,
                    "task_id": 7,
                    "tracking_number": "2026112300000042",
                    "item": {
                        "code": "food-business-licence",
                        "name": "食品经营许可",
                        "name_en": "",
                    },
                    "department": {"code": "market", "name": "市场监督管理局", "name_en": ""},
                    "working_days": 5,
                    "reason": "需要组织专家论证",
                    "state": "requested",
                    "state_display": "Awaiting the head's approval",
                    "requested_by": "reviewer-market",
                    "requested_at": "2026-11-24T09:00:00+08:00",
                    "task_due_at": "2026-11-30T11:00:00+08:00",
                    "decided_at": None,
                    "decision_note": "",
                },
                response_only=True,
            )
        ],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        tags=["extensions"],
        summary="Approve or refuse an extension (head)",
        description="A sensitive action: unless the token (or browser login) is younger than "
        "REAUTHENTICATION_MAX_AGE seconds, give the password and a fresh TOTP code with it. "
        "An approved extension moves the task's deadline and tells the applicant why.",
        request=ExtensionDecisionSerializer,
        responses={200: ExtensionSerializer},
        examples=[
            OpenApiExample(
                "Approve",
                value={"approve": True, "note": "同意延期", "password": "…", "code": "123456"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        extension = get_object_or_404(self.get_queryset(), pk=pk)
        serializer = ExtensionDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        confirm_recent_identity(request, data)
        extension = clocks.decide_extension(
            extension.pk, request.user, approve=data["approve"], note=data["note"]
        )
        return Response(ExtensionSerializer(extension).data)


SUBSTITUTION_EXAMPLE = {
    "id": 2,
    "department": "market",
    "reviewer": "reviewer-market",
    "substitute": "reviewer-market-2",
    "starts_on": "2026-12-07",
    "ends_on": "2026-12-11",
    "named_by": "head-market",
    "created_at": "2026-12-04T16:00:00+08:00",
    "ended_at": None,
}


def substitution_example(**changes) -> list[OpenApiExample]:
    return [
        OpenApiExample(
            "Substitution", value={**SUBSTITUTION_EXAMPLE, **changes}, response_only=True
        )
    ]


class SubstitutionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Substitutes for absent reviewers (代理审批), named by the head: others see none (404).

    The same domain functions as the head's page (approvals/substitutes.py).
    """

    permission_classes = [IsAuthenticated, IsCivilServant]
    serializer_class = SubstitutionSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator asks, nobody
            return Substitution.objects.none()
        return substitutes.substitutions_for_head(self.request.user)

    @extend_schema(
        tags=["substitutions"],
        summary="Substitutions of my departments (head)",
        description="Latest first; empty for civil servants who head no department.",
        examples=substitution_example(),
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        tags=["substitutions"],
        summary="Name a substitute (head)",
        description="Both must review for the department; 400 with the reason (and an audit "
        "entry) for a substitute of another department or a range in the past; 403 for "
        "someone who does not head the department.",
        request=SubstitutionSerializer,
        responses={201: SubstitutionSerializer},
        examples=[
            OpenApiExample(
                "Leave cover",
                value={
                    "department": "market",
                    "reviewer": "reviewer-market",
                    "substitute": "reviewer-market-2",
                    "starts_on": "2026-12-07",
                    "ends_on": "2026-12-11",
                },
                request_only=True,
            ),
            *substitution_example(),
        ],
    )
    def create(self, request, *args, **kwargs):
        serializer = SubstitutionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = {key: serializer.validated_data[key] for key in SUBSTITUTION_FIELDS}
        substitution = substitutes.name_substitute(head=request.user, **fields)
        return Response(SubstitutionSerializer(substitution).data, status=201)

    @extend_schema(
        tags=["substitutions"],
        summary="End a substitution now (head)",
        description="The reviewer is back early: the substitute decides for them no longer. "
        "Ending it twice changes nothing.",
        examples=substitution_example(ended_at="2026-12-09T08:45:00+08:00"),
        request=None,
        responses={200: SubstitutionSerializer},
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        substitution = substitutes.end_substitution(self.get_object().pk, request.user)
        return Response(SubstitutionSerializer(substitution).data)


SUBSTITUTION_FIELDS = ("department", "reviewer", "substitute", "starts_on", "ends_on")
