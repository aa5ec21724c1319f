"""How the virtual government's work looks in the API (approvals/api.py): each department's
review of a case as the status page shows it, the staff queue, tasks, extensions."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from accounts.models import Department
from services.serializers import (
    ApplicationDetailSerializer,
    AttachmentSerializer,
    DepartmentSerializer,
    EventSerializer,
    ItemReferenceSerializer,
)

from .decisions import Outcome
from .models import ClockStop, Extension, ReviewTask, Substitution


class ClockStopSerializer(serializers.Serializer):
    reason = serializers.CharField()
    reason_display = serializers.CharField(source="get_reason_display")
    note = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)


class ExtensionSummarySerializer(serializers.Serializer):
    working_days = serializers.IntegerField()
    reason = serializers.CharField()
    state = serializers.CharField(help_text="requested, approved or refused")


class ProgressDepartmentSerializer(serializers.Serializer):
    """One department's review as the status page shows it; `state` "waiting" before its stage
    opens. Requested extensions are shown to staff only, approved ones to everyone."""

    department = serializers.SerializerMethodField()
    time_limit_days = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    state_display = serializers.SerializerMethodField()
    due_at = serializers.SerializerMethodField()
    decided_at = serializers.SerializerMethodField()
    opinion = serializers.SerializerMethodField()
    clock_stops = serializers.SerializerMethodField()
    extension = serializers.SerializerMethodField()

    @extend_schema_field(DepartmentSerializer)
    def get_department(self, row) -> dict:
        step = row["department"]
        return {"code": step.code, "name": step.name, "name_en": step.name_en}

    def get_time_limit_days(self, row) -> int:
        return row["department"].time_limit_days

    def get_state(self, row) -> str:
        return row["task"].state if row["task"] else "waiting"

    def get_state_display(self, row) -> str:
        return row["task"].get_state_display() if row["task"] else _("Waiting")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_due_at(self, row):
        task = row["task"]
        return serializers.DateTimeField().to_representation(task.due_at) if task else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_decided_at(self, row):
        task = row["task"]
        if task is None or task.decided_at is None:
            return None
        return serializers.DateTimeField().to_representation(task.decided_at)

    def get_opinion(self, row) -> str:
        return row["task"].opinion if row["task"] else ""

    @extend_schema_field(ClockStopSerializer(many=True))
    def get_clock_stops(self, row):
        task = row["task"]
        return ClockStopSerializer(task.clock_stops.all(), many=True).data if task else []

    @extend_schema_field(ExtensionSummarySerializer(allow_null=True))
    def get_extension(self, row):
        task = row["task"]
        extension = getattr(task, "extension", None) if task else None
        if extension is None:
            return None
        if extension.state != Extension.State.APPROVED and not self.context.get("for_staff"):
            return None
        return ExtensionSummarySerializer(extension).data


class ProgressStageSerializer(serializers.Serializer):
    order = serializers.IntegerField(help_text="0 is acceptance (受理); review stages from 1.")
    name = serializers.CharField()
    name_en = serializers.CharField()
    departments = ProgressDepartmentSerializer(many=True)


class CountedClockStopSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True, help_text="null while still stopped")
    working_days = serializers.IntegerField(help_text="working days added to the count")
    reason = serializers.CharField()


class CountedExtensionSerializer(serializers.Serializer):
    working_days = serializers.IntegerField()
    decided_at = serializers.DateTimeField(allow_null=True)
    department = serializers.CharField(help_text="the extended department, in the case's count")


class MovedDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=["weekend", "holiday", "workday"])
    name = serializers.CharField(help_text="the holiday's name in the caller's language")
    counted = serializers.BooleanField(help_text="true for a make-up working day (调休)")


class DeadlineExplanationSerializer(serializers.Serializer):
    """How one deadline was counted (approvals/explanation.py): start, limit, stops,
    extension, each weekend, holiday and make-up day on the way, and the end."""

    start = serializers.DateTimeField()
    first_counted_day = serializers.DateField()
    working_days = serializers.IntegerField(help_text="the time limit")
    clock_stops = CountedClockStopSerializer(many=True)
    extensions = CountedExtensionSerializer(many=True)
    days = MovedDaySerializer(many=True)
    counted_working_days = serializers.IntegerField()
    clock_stopped = serializers.BooleanField(help_text="the date is not final while true")
    restarted = serializers.BooleanField(help_text="acceptance counted afresh (Art. 32)")
    follows_extended_department = serializers.BooleanField()
    due_at = serializers.DateTimeField()
    recorded_due_at = serializers.DateTimeField(allow_null=True)
    matches_record = serializers.BooleanField(
        help_text="false when the calendar changed after the deadline was computed"
    )


class DepartmentDeadlineSerializer(serializers.Serializer):
    department = DepartmentSerializer()
    task_id = serializers.IntegerField()
    explanation = DeadlineExplanationSerializer()


class CaseDeadlinesSerializer(serializers.Serializer):
    overall = DeadlineExplanationSerializer(allow_null=True)
    departments = DepartmentDeadlineSerializer(many=True)


class ApplicationStatusSerializer(ApplicationDetailSerializer):
    """The status page: the application, each department's review, the e-certificate, and how
    each open deadline was counted."""

    stages = serializers.SerializerMethodField()
    certificate_number = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()

    class Meta(ApplicationDetailSerializer.Meta):
        fields = ApplicationDetailSerializer.Meta.fields + [
            "stages",
            "certificate_number",
            "deadlines",
        ]

    def to_representation(self, application):
        from .queues import application_progress

        self.progress = application_progress(application)  # read once: stages and deadlines
        return super().to_representation(application)

    @extend_schema_field(ProgressStageSerializer(many=True))
    def get_stages(self, application):
        return ProgressStageSerializer(self.progress, many=True, context=self.context).data

    @extend_schema_field(CaseDeadlinesSerializer)
    def get_deadlines(self, application):
        from .explanation import explain_case
        from .queues import tasks_of

        case = explain_case(application, tasks_of(self.progress))
        return CaseDeadlinesSerializer(
            {
                "overall": case["overall"].as_data() if case["overall"] else None,
                "departments": [
                    {
                        "department": row["task"].department,
                        "task_id": row["task"].pk,
                        "explanation": row["explanation"].as_data(),
                    }
                    for row in case["departments"]
                ],
            }
        ).data

    def get_certificate_number(self, application) -> str | None:
        certificate = getattr(application, "certificate", None)
        return certificate.number if certificate else None


class TaskSerializer(serializers.ModelSerializer):
    """A row of the department's queue."""

    tracking_number = serializers.CharField(source="application.tracking_number")
    application_id = serializers.IntegerField()
    item = ItemReferenceSerializer(source="application.item")
    department = DepartmentSerializer()
    state_display = serializers.CharField(source="get_state_display")
    claimed_by = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField()

    class Meta:
        model = ReviewTask
        fields = [
            "id",
            "tracking_number",
            "application_id",
            "item",
            "stage_order",
            "stage_name",
            "department",
            "state",
            "state_display",
            "due_at",
            "clock_stopped_at",
            "escalated_at",
            "is_overdue",
            "claimed_by",
            "claimed_at",
            "decided_at",
        ]

    def get_claimed_by(self, task) -> str | None:
        return task.claimed_by.username if task.claimed_by_id else None


class AnswerSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField(allow_null=True)


class TaskDetailSerializer(TaskSerializer):
    """The task page: the application's answers and materials, the stages, the timeline.

    Read from the case file (approvals/queues.case_file) given in the context as "case_file",
    the same read the staff page renders: no field runs a query of its own.
    """

    opinion = serializers.CharField()
    answers = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    clock_stops = serializers.SerializerMethodField()
    extension = serializers.SerializerMethodField()
    stages = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta(TaskSerializer.Meta):
        fields = TaskSerializer.Meta.fields + [
            "opinion",
            "answers",
            "attachments",
            "clock_stops",
            "extension",
            "stages",
            "timeline",
        ]

    @property
    def case(self):
        return self.context["case_file"]

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, task):
        return [
            {"name": a["name"], "label": a["label"], "value": a["value"]} for a in self.case.answers
        ]

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, task):
        return AttachmentSerializer(self.case.attachments, many=True).data

    @extend_schema_field(ClockStopSerializer(many=True))
    def get_clock_stops(self, task):
        return ClockStopSerializer(self.case.clock_stops, many=True).data

    @extend_schema_field(ExtensionSummarySerializer(allow_null=True))
    def get_extension(self, task):
        extension = self.case.extension
        return ExtensionSummarySerializer(extension).data if extension else None

    @extend_schema_field(ProgressStageSerializer(many=True))
    def get_stages(self, task):
        return ProgressStageSerializer(
            self.case.stages, many=True, context={"for_staff": True}
        ).data

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, task):
        return EventSerializer(self.case.events, many=True).data


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.BY_REVIEWER)
    opinion = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when rejecting or requesting supplements; the applicant reads it.",
    )


class SubstitutionSerializer(serializers.ModelSerializer):
    """A substitution as read, and as a head names one (usernames and a department code)."""

    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), help_text="Department code."
    )
    reviewer = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(kind="staff"),
        help_text="Username of the absent reviewer.",
    )
    substitute = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(kind="staff"),
        help_text="Username of the substitute, a reviewer of the same department.",
    )
    named_by = serializers.CharField(source="named_by.username", read_only=True)

    class Meta:
        model = Substitution
        fields = [
            "id",
            "department",
            "reviewer",
            "substitute",
            "starts_on",
            "ends_on",
            "named_by",
            "created_at",
            "ended_at",
        ]
        read_only_fields = ["created_at", "ended_at"]


class ReassignSerializer(serializers.Serializer):
    reviewer = serializers.CharField(
        max_length=150, help_text="Username of a reviewer of the task's department."
    )


class ClockStopRequestSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[
            ClockStop.Reason.HEARING.value,
            ClockStop.Reason.INSPECTION.value,
            ClockStop.Reason.EXPERT_REVIEW.value,
        ]
    )
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ExtensionRequestSerializer(serializers.Serializer):
    working_days = serializers.IntegerField(min_value=1, max_value=60)
    reason = serializers.CharField(max_length=1000, help_text="Shown to the applicant.")


class ExtensionSerializer(serializers.ModelSerializer):
    task_id = serializers.IntegerField()
    tracking_number = serializers.CharField(source="task.application.tracking_number")
    item = ItemReferenceSerializer(source="task.application.item")
    department = DepartmentSerializer(source="task.department")
    state_display = serializers.CharField(source="get_state_display")
    requested_by = serializers.CharField(source="requested_by.username")
    task_due_at = serializers.DateTimeField(source="task.due_at")

    class Meta:
        model = Extension
        fields = [
            "id",
            "task_id",
            "tracking_number",
            "item",
            "department",
            "working_days",
            "reason",
            "state",
            "state_display",
            "requested_by",
            "requested_at",
            "task_due_at",
            "decided_at",
            "decision_note",
        ]


class ExplicitBooleanField(serializers.BooleanField):
    """A yes or no that must be given: DRF otherwise reads a form without it as "no", and
    an empty form would refuse an extension."""

    default_empty_html = empty


class ExtensionDecisionSerializer(serializers.Serializer):
    approve = ExplicitBooleanField()
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Your password again, unless you logged in (or confirmed) in the last "
        "REAUTHENTICATION_MAX_AGE seconds in this browser session.",
    )
    code = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="A fresh code from your authenticator app, with the password.",
    )
