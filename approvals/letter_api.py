"""Letters (政民互动) in the REST API: the writer's letters (write, read, rate, ask for a second
answer) and the staff's letter tasks (triage, answer). The same domain functions as the pages
(services/letters.py, approvals/letters.py), so the API refuses the same things with the same
words; floods from one account get 429 with Retry-After on the page's counter."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from common.api_access import PortalRateLimit
from common.json_input import PortalJSONParser
from common.ratelimits import by_ip
from services.letters import may_write, rate_letter, write_letter
from services.models import Letter
from services.permissions import applications_of

from . import letters
from .api import IsCivilServant
from .models import ReviewTask
from .permissions import visible_tasks


class LetterRateLimit(PortalRateLimit):
    """RATE_LIMITS["letter"] per account, on the same counter as the page's letter form."""

    scope = "letter"

    def _key(self, drf_request):
        def key(group, request):
            user = drf_request.user
            return f"user:{user.pk}" if user.is_authenticated else by_ip(group, request)

        return key


class AnswerSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")
    round = serializers.IntegerField(source="stage_order")
    answer = serializers.SerializerMethodField()

    class Meta:
        model = ReviewTask
        fields = ["department", "department_name", "round", "state", "due_at", "answer"]

    def get_answer(self, task) -> str:
        return task.opinion if task.state == ReviewTask.State.APPROVED else ""


class LetterSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk")
    tracking_number = serializers.CharField(source="application.tracking_number")
    status = serializers.CharField(source="application.status")
    written_at = serializers.DateTimeField(source="application.submitted_at")
    due_at = serializers.DateTimeField(source="application.due_at", allow_null=True)
    addressed_to = serializers.SlugRelatedField(slug_field="code", read_only=True)
    answering_departments = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    answers = serializers.SerializerMethodField()

    class Meta:
        model = Letter
        fields = [
            "id",
            "tracking_number",
            "kind",
            "topic",
            "body",
            "addressed_to",
            "consent_to_publish",
            "status",
            "written_at",
            "due_at",
            "answering_departments",
            "answers",
            "satisfaction",
            "second_answer_requested_at",
            "second_satisfaction",
        ]

    @extend_schema(responses=AnswerSerializer(many=True))
    def get_answers(self, letter) -> list[dict]:
        tasks = (
            ReviewTask.objects.filter(application_id=letter.pk, stage_order__gt=0)
            .select_related("department")
            .order_by("stage_order", "department__code")
        )
        return AnswerSerializer(tasks, many=True).data


class NewLetterSerializer(serializers.Serializer):
    # Limits and the department's existence are checked by the domain (one message for all).
    kind = serializers.CharField(help_text="enquiry, suggestion, complaint or praise")
    topic = serializers.CharField(allow_blank=True, help_text="At most LETTER_TOPIC_MAX_CHARS.")
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="At most LETTER_BODY_MAX_CHARS."
    )
    department = serializers.CharField(
        required=False, allow_blank=True, help_text="A department's code; empty: the centre decides"
    )
    consent_to_publish = serializers.BooleanField(required=False, default=False)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="PDF, JPEG or PNG files"
    )


class RatingSerializer(serializers.Serializer):
    satisfaction = serializers.ChoiceField(choices=Letter.Satisfaction.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class SecondAnswerSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


LETTER_EXAMPLE = {
    "id": 42,
    "tracking_number": "2026120700000042",
    "kind": "suggestion",
    "topic": "关于增设公交站点的建议",
    "body": "建议在长江西路增设一个公交站点。",
    "addressed_to": "transport",
    "consent_to_publish": True,
    "status": "in_review",
    "written_at": "2026-12-07T10:00:00+08:00",
    "due_at": "2026-12-28T17:30:00+08:00",
    "answering_departments": ["transport"],
    "answers": [
        {
            "department": "transport",
            "department_name": "市交通运输局",
            "round": 1,
            "state": "pending",
            "due_at": "2026-12-28T17:30:00+08:00",
            "answer": "",
        }
    ],
    "satisfaction": "",
    "second_answer_requested_at": None,
    "second_satisfaction": "",
}


@extend_schema(tags=["letters"])
class LetterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own letters to the government; another person's letter is 404."""

    permission_classes = [IsAuthenticated]
    serializer_class = LetterSerializer
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[0-9]+"
    queryset = Letter.objects.none()
    parser_classes = [PortalJSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return (
            Letter.objects.filter(application__in=applications_of(self.request.user))
            .select_related("application", "addressed_to")
            .prefetch_related("answering_departments")
            .order_by("-application__submitted_at", "-pk")
        )

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(LetterRateLimit())
        return throttles

    @extend_schema(
        summary="My letters",
        examples=[OpenApiExample("One", value=LETTER_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A letter of mine",
        description="The letter, its state and deadline, and every department's answer.",
        examples=[OpenApiExample("One", value=LETTER_EXAMPLE, response_only=True)],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Write a letter",
        description="A citizen or an enterprise writes to the government: routed at once to "
        "the service centre's triage (1 working day), which assigns the departments that "
        "answer (15 working days each). 400 when the topic or text is empty or too long "
        "(the limits are in the message), the kind unknown or the department does not exist; "
        "403 for a staff account; 429 with Retry-After on a flood from one account. HTML is "
        "stored as written and shown as text.",
        request={
            "application/json": NewLetterSerializer,
            "multipart/form-data": NewLetterSerializer,
        },
        responses={201: LetterSerializer},
        examples=[
            OpenApiExample(
                "Write",
                value={
                    "kind": "suggestion",
                    "topic": "关于增设公交站点的建议",
                    "body": "建议在长江西路增设一个公交站点。",
                    "department": "transport",
                    "consent_to_publish": True,
                },
                request_only=True,
            ),
            OpenApiExample("Received", value=LETTER_EXAMPLE, response_only=True),
        ],
    )
    def create(self, request, *args, **kwargs):
        if not may_write(request.user):
            raise PermissionDenied(
                _("Citizens and enterprises write letters, with their own account.")
            )
        sent = NewLetterSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        data = sent.validated_data
        letter = write_letter(
            request.user,
            kind=data["kind"],
            topic=data["topic"],
            body=data["body"],
            department_code=data.get("department", ""),
            consent_to_publish=data.get("consent_to_publish", False),
            attachments=data.get("attachments", []),
        )
        return Response(
            LetterSerializer(self.get_queryset().get(pk=letter.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Rate the answer",
        description="Once per answer, after the letter is answered (400 before, or twice).",
        request=RatingSerializer,
        responses={200: LetterSerializer},
        examples=[
            OpenApiExample(
                "Unsatisfied",
                value={"satisfaction": "unsatisfied", "comment": "没有说明何时增设。"},
                request_only=True,
            ),
            OpenApiExample(
                "Rated",
                value={**LETTER_EXAMPLE, "status": "approved", "satisfaction": "unsatisfied"},
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def rating(self, request, id=None):
        letter = self.get_object()
        sent = RatingSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        rate_letter(
            letter.pk,
            request.user,
            satisfaction=sent.validated_data["satisfaction"],
            comment=sent.validated_data.get("comment", ""),
        )
        return Response(LetterSerializer(self.get_queryset().get(pk=letter.pk)).data)

    @extend_schema(
        summary="Ask for a second answer",
        description="Once, after rating the answer as unsatisfied: the same departments answer "
        "again, each within its limit (400 otherwise).",
        request=SecondAnswerSerializer,
        responses={200: LetterSerializer},
        examples=[
            OpenApiExample("Ask", value={"reason": "没有说明站点位置。"}, request_only=True),
            OpenApiExample(
                "Asked",
                value={
                    **LETTER_EXAMPLE,
                    "satisfaction": "unsatisfied",
                    "second_answer_requested_at": "2026-12-20T09:00:00+08:00",
                },
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"], url_path="second-answer")
    def second_answer(self, request, id=None):
        letter = self.get_object()
        sent = SecondAnswerSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        letters.request_second_answer(
            letter.pk, request.user, reason=sent.validated_data.get("reason", "")
        )
        return Response(LetterSerializer(self.get_queryset().get(pk=letter.pk)).data)


# --- the staff's side ------------------------------------------------------------------------------


class LetterTaskSerializer(serializers.ModelSerializer):
    letter = serializers.SerializerMethodField()
    department = serializers.CharField(source="department.code")
    triage = serializers.BooleanField(source="is_acceptance")

    class Meta:
        model = ReviewTask
        fields = [
            "id",
            "department",
            "triage",
            "stage_order",
            "state",
            "due_at",
            "escalated_at",
            "opinion",
            "letter",
        ]

    @extend_schema(responses=LetterSerializer)
    def get_letter(self, task) -> dict:
        letter = Letter.objects.select_related("application", "addressed_to").get(
            pk=task.application_id
        )
        return LetterSerializer(letter).data


LETTER_TASK_EXAMPLE = {
    "id": 77,
    "department": "transport",
    "triage": False,
    "stage_order": 1,
    "state": "pending",
    "due_at": "2026-12-28T17:30:00+08:00",
    "escalated_at": None,
    "opinion": "",
    "letter": LETTER_EXAMPLE,
}


class TriageSerializer(serializers.Serializer):
    departments = serializers.ListField(
        child=serializers.CharField(), help_text="The codes of the departments that answer"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class LetterAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(allow_blank=True, max_length=20000)


@extend_schema(tags=["letters"])
class LetterTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Letters' tasks of the caller's departments: triage at the service centre, answers at
    the departments. Applicants get 403; tasks of other departments are 404."""

    permission_classes = [IsAuthenticated, IsCivilServant]
    serializer_class = LetterTaskSerializer
    lookup_value_regex = r"[0-9]+"
    queryset = ReviewTask.objects.none()

    def get_queryset(self):
        return (
            visible_tasks(self.request.user)
            .filter(application__letter__isnull=False)
            .select_related("department")
            .order_by("due_at", "id")
        )

    @extend_schema(
        summary="Letters' tasks",
        description="Open and done, deadline first.",
        examples=[OpenApiExample("One", value=LETTER_TASK_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A letter's task",
        description="The task with its letter.",
        examples=[OpenApiExample("One", value=LETTER_TASK_EXAMPLE, response_only=True)],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Triage",
        description="The service centre sends the letter to the departments that answer, by "
        "their codes (400 when none is given or one does not exist, or already triaged).",
        request=TriageSerializer,
        responses={200: LetterTaskSerializer},
        examples=[
            OpenApiExample(
                "Triage", value={"departments": ["transport", "housing"]}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        from accounts.models import Department

        task = self.get_object()
        sent = TriageSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        codes = set(sent.validated_data["departments"])
        found = dict(Department.objects.filter(code__in=codes).values_list("code", "pk"))
        missing = sorted(codes - set(found))
        if missing:
            raise serializers.ValidationError(
                {
                    "departments": [
                        _("There is no department “%(code)s”.") % {"code": code[:40]}
                        for code in missing
                    ]
                }
            )
        letters.triage_letter(
            task.pk,
            request.user,
            department_ids=list(found.values()),
            note=sent.validated_data.get("note", ""),
        )
        return Response(LetterTaskSerializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(
        summary="Answer",
        description="The department's answer, which the writer reads (400 when empty).",
        request=LetterAnswerSerializer,
        responses={200: LetterTaskSerializer},
        examples=[
            OpenApiExample("Answer", value={"answer": "拟于明年增设站点。"}, request_only=True),
            OpenApiExample(
                "Answered",
                value={**LETTER_TASK_EXAMPLE, "state": "approved", "opinion": "拟于明年增设站点。"},
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        task = self.get_object()
        sent = LetterAnswerSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        letters.answer_letter(task.pk, request.user, answer=sent.validated_data["answer"])
        return Response(LetterTaskSerializer(self.get_queryset().get(pk=task.pk)).data)
