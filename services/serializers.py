"""How the catalogue and applications look in the API (services/api.py).

The shapes follow the pages: the service guide, the applicant's status page (each
department's state, deadline and opinion; the timeline), and the form of the item.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Application, ApplicationEvent, Attachment, ServiceItem

# --- the catalogue -------------------------------------------------------------------------------


class ThemeSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class DepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class ServiceItemSerializer(serializers.ModelSerializer):
    theme = ThemeSerializer()
    display_name = serializers.CharField(help_text="The name in the caller's language.")
    fee = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        help_text="Yuan, in the region's implementation; null means free.",
    )
    promised_limit_days = serializers.IntegerField(
        allow_null=True, help_text="The region's promised limit in working days; null: none."
    )

    class Meta:
        model = ServiceItem
        fields = [
            "code",
            "name",
            "name_en",
            "display_name",
            "theme",
            "audience",
            "summary",
            "fee",
            "statutory_limit_days",
            "promised_limit_days",
        ]


class MaterialSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_required = serializers.BooleanField()
    has_sample = serializers.SerializerMethodField()

    def get_has_sample(self, material) -> bool:
        return bool(material.sample)


class FormFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    help_text = serializers.CharField()
    kind = serializers.CharField(help_text="text, long_text, number, date, choice or yes_no")
    is_required = serializers.BooleanField()
    min_length = serializers.IntegerField(allow_null=True)
    max_length = serializers.IntegerField(allow_null=True)
    pattern = serializers.CharField(help_text="A regular expression the whole answer matches.")
    choices = serializers.SerializerMethodField()

    def get_choices(self, field) -> list[str]:
        return [c.strip() for c in field.choices.splitlines() if c.strip()]


class StageDepartmentSerializer(serializers.Serializer):
    department = DepartmentSerializer()
    time_limit_days = serializers.IntegerField()
    timeout_policy = serializers.CharField(help_text="deemed_approval or escalation")


class StageSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    departments = StageDepartmentSerializer(many=True)


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="GB/T 2260 code of the region.")
    name = serializers.CharField()
    name_en = serializers.CharField()


class ServiceGuideSerializer(serializers.Serializer):
    """A region's implementation of a standard item: the standard item's terms, the region's
    departments, limits and fee, the standard materials and fields followed by the region's."""

    code = serializers.CharField(source="item.code")
    name = serializers.CharField(source="item.name")
    name_en = serializers.CharField(source="item.name_en")
    display_name = serializers.CharField(
        source="item.display_name", help_text="The name in the caller's language."
    )
    theme = ThemeSerializer(source="item.theme")
    audience = serializers.CharField(source="item.audience")
    summary = serializers.CharField(source="item.summary")
    region = RegionSerializer(help_text="The region whose implementation this is.")
    fee = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, help_text="Yuan; null means free."
    )
    statutory_limit_days = serializers.IntegerField(source="item.statutory_limit_days")
    promised_limit_days = serializers.IntegerField(allow_null=True)
    legal_basis = serializers.CharField(source="item.legal_basis")
    conditions = serializers.CharField(source="item.conditions")
    process = serializers.CharField(source="item.process")
    fee_basis = serializers.CharField()
    max_extension_days = serializers.IntegerField(source="item.max_extension_days")
    acceptance_limit_days = serializers.IntegerField(source="item.acceptance_limit_days")
    joint_limit_days = serializers.IntegerField(source="item.joint_limit_days")
    rejection_ends_case = serializers.BooleanField(source="item.rejection_ends_case")
    materials = MaterialSerializer(many=True, source="materials_in_order")
    form_fields = FormFieldSerializer(many=True, source="fields_in_order")
    stages = StageSerializer(many=True)


# --- applications --------------------------------------------------------------------------------


class ItemReferenceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class ApplicationSerializer(serializers.ModelSerializer):
    item = ItemReferenceSerializer()
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Application
        fields = [
            "id",
            "tracking_number",
            "item",
            "status",
            "status_display",
            "created_at",
            "submitted_at",
            "accepted_at",
            "due_at",
            "clock_stopped_at",
            "decided_at",
        ]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = [
            "id",
            "material_code",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
        ]


class EventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    department = DepartmentSerializer(allow_null=True)

    class Meta:
        model = ApplicationEvent
        fields = ["kind", "kind_display", "department", "note", "created_at"]


class DefinitionFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    is_required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.CharField(), required=False)


class DefinitionMaterialSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    is_required = serializers.BooleanField()


class LicensedPartySerializer(serializers.Serializer):
    name = serializers.CharField()
    identifier = serializers.CharField(
        help_text="Credit code of an organisation; masked resident ID number of a person."
    )
    kind = serializers.ChoiceField(choices=["natural_person", "organisation"])


class ApplicationDetailSerializer(ApplicationSerializer):
    answers = serializers.DictField(help_text="Answers by field name.")
    filing_capacity = serializers.CharField(
        help_text="in_person, service_centre, agent or enterprise_member."
    )
    filed_for = serializers.CharField(help_text='Who filed for whom: "李四 (agent) for 张三".')
    licensed_party = LicensedPartySerializer(
        source="subject", help_text="Who the decision and the e-certificate name (行政相对人)."
    )
    form_fields = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField()
    decision_reason = serializers.CharField()
    timeline = EventSerializer(source="events", many=True)

    class Meta(ApplicationSerializer.Meta):
        fields = ApplicationSerializer.Meta.fields + [
            "filing_capacity",
            "filed_for",
            "licensed_party",
            "answers",
            "form_fields",
            "materials",
            "attachments",
            "missing",
            "decision_reason",
            "timeline",
        ]

    @extend_schema_field(DefinitionFieldSerializer(many=True))
    def get_form_fields(self, application):
        return DefinitionFieldSerializer(application.definition.fields, many=True).data

    @extend_schema_field(DefinitionMaterialSerializer(many=True))
    def get_materials(self, application):
        return DefinitionMaterialSerializer(application.definition.materials, many=True).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, application):
        current = [a for a in application.attachments.all() if a.is_current]
        return AttachmentSerializer(current, many=True).data

    def get_missing(self, application) -> list[str]:
        """What still stops submission (empty once submitted): the page's checklist."""
        from .filing import missing_requirements

        if not application.is_editable_by_applicant:
            return []
        return missing_requirements(application)


class StartApplicationSerializer(serializers.Serializer):
    item = serializers.SlugField(help_text="The code of a published service item.")
    region = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        help_text="The GB/T 2260 code of the region to file in; left out: your account's, "
        "else the portal's.",
    )
    on_behalf_of = serializers.IntegerField(
        required=False,
        help_text="The account id of an enterprise you act for, or of a principal who "
        "authorised you; left out: yourself. 403 with the reason when you may not.",
    )


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        help_text="Answers by field name; a field left out keeps its answer, null empties it. "
        'yes_no fields take true/false, dates "YYYY-MM-DD".'
    )


class UploadSerializer(serializers.Serializer):
    material = serializers.SlugField(help_text="The code of one of the item's materials.")
    file = serializers.FileField(help_text="PDF, JPEG or PNG, at most MATERIAL_MAX_BYTES.")


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
