"""The permit catalogue (what can be applied for) and filing (what has been applied for).

A service item is configured by administrators. When an application is submitted the item's
definition is frozen into a `ServiceItemVersion`, so editing the catalogue never changes a
case already in flight (the snapshot is what routing, review and the applicant's forms use).
"""

from functools import cached_property

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.models import BilingualNameMixin, Department, Region
from accounts.permission_tables import (
    DirectGroupObjectPermission,
    DirectUserObjectPermission,
    object_foreign_key,
)

from .definitions import ItemDefinition


class Theme(BilingualNameMixin, models.Model):
    slug = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("Citizens")
    ENTERPRISE = "enterprise", _("Enterprises")
    BOTH = "both", _("Citizens and enterprises")


class ItemKind(models.TextChoices):
    """What a catalogue item is: a permit applied for, or a letter written to the government.

    A letter (政民互动) is not a workflow of its own: it is filed, routed, reviewed and swept as
    an application of an item of kind `letter`, whose acceptance step is a triage by the
    service centre and whose answering departments are chosen at triage (services/letters.py).
    """

    PERMIT = "permit", _("Permit or service")
    LETTER = "letter", _("Letter to the government")


class SubjectRule(models.TextChoices):
    """Who the licensed party (行政相对人) of a case may be: what decisions and certificates name."""

    FILER = "filer", _("The applicant in whose name the case is filed")
    ENTERPRISE = "enterprise", _("An enterprise the filer acts for")
    NEW_ENTITY = "new_entity", _("A new entity named in the form")


class ServiceItemQuerySet(models.QuerySet):
    def published(self) -> "ServiceItemQuerySet":
        """Items with a published implementation in some region."""
        return self.filter(
            models.Exists(
                ItemImplementation.objects.filter(item=models.OuterRef("pk"), is_published=True)
            )
        )


class ServiceItem(BilingualNameMixin, models.Model):
    """A standard item (事项), defined once for the province: its code, name, legal basis and
    statutory limits. Each region implements it (`ItemImplementation`) with its own
    departments, promised limit, fee, and any local materials and form fields."""

    Kind = ItemKind

    code = models.SlugField(_("item code"), max_length=32, unique=True)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=ItemKind.choices,
        default=ItemKind.PERMIT,
        help_text=_(
            "A letter item receives citizens' letters: its acceptance step is a triage by the "
            "service centre, which assigns the departments that answer."
        ),
    )
    name = models.CharField(_("name"), max_length=128)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    theme = models.ForeignKey(
        Theme, verbose_name=_("theme"), on_delete=models.PROTECT, related_name="items"
    )
    audience = models.CharField(
        _("who may apply"), max_length=16, choices=Audience.choices, default=Audience.BOTH
    )
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    summary_en = models.CharField(_("English summary"), max_length=255, blank=True)
    legal_basis = models.TextField(_("legal basis"))
    legal_basis_en = models.TextField(_("legal basis in English"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    conditions_en = models.TextField(_("conditions in English"), blank=True)
    process = models.TextField(_("process in plain words"), blank=True)
    process_en = models.TextField(_("process in plain English"), blank=True)
    statutory_limit_days = models.PositiveSmallIntegerField(
        _("statutory time limit (working days)"),
        default=20,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Administrative License Law Art. 42: 20 working days unless a law says otherwise."
        ),
    )
    max_extension_days = models.PositiveSmallIntegerField(
        _("longest extension (working days)"), default=10
    )
    acceptance_limit_days = models.PositiveSmallIntegerField(
        _("acceptance time limit (working days)"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Administrative License Law Art. 32: without an answer within this limit the "
            "application counts as accepted on the day it was received."
        ),
    )
    joint_limit_days = models.PositiveSmallIntegerField(
        _("time limit of joint handling (working days)"),
        default=45,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Art. 42: used instead of the statutory limit when several departments review."
        ),
    )
    rejection_ends_case = models.BooleanField(
        _("a rejection by one department ends the case"), default=True
    )
    certificate_scope = models.TextField(
        _("scope of the e-certificate"),
        blank=True,
        help_text=_(
            "What the holder of an approved application is permitted to do, printed on the "
            "e-certificate. Empty: the item's name."
        ),
    )
    certificate_validity_years = models.PositiveSmallIntegerField(
        _("validity of the e-certificate (years)"),
        null=True,
        blank=True,
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: the e-certificate does not expire."),
    )
    # Letters only (kind = letter): the limits of triage and of each department's answer.
    letter_triage_limit_days = models.PositiveSmallIntegerField(
        _("letters: triage time limit (working days)"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("The service centre assigns a letter to the departments within this limit."),
    )
    letter_answer_limit_days = models.PositiveSmallIntegerField(
        _("letters: answer time limit (working days)"),
        default=15,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Each assigned department answers within this limit; silence is escalated to its "
            "head, never deemed an answer."
        ),
    )
    subject_rule = models.CharField(
        _("licensed party"),
        max_length=16,
        choices=SubjectRule.choices,
        default=SubjectRule.FILER,
        help_text=_("Who the decision, the register and the e-certificate name."),
    )
    subject_name_field = models.SlugField(
        _("form field naming the new entity"),
        max_length=64,
        blank=True,
        help_text=_("For a new entity: the name of the form field that holds its name."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ServiceItemQuerySet.as_manager()
    # Who changed what, and when (django-simple-history; docs/catalogue-workflow.md).
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["theme__order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audience__in=Audience.values),
                name="item_audience_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ItemKind.values), name="item_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(subject_rule__in=SubjectRule.values),
                name="item_subject_rule_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        if self.kind == ItemKind.LETTER:
            return reverse("services:write_letter")  # a letter item has no guide
        return reverse("services:guide", args=[self.code])

    @property
    def is_published(self) -> bool:
        """Whether some region publishes an implementation of the item (one query)."""
        return self.implementations.filter(is_published=True).exists()

    @property
    def certificate_scope_or_default(self) -> str:
        return self.certificate_scope.strip() or self.name

    @property
    def is_letter(self) -> bool:
        return self.kind == ItemKind.LETTER

    def accepts(self, user) -> bool:
        """Whether this kind of person may apply for the item."""
        if self.audience == Audience.BOTH:
            return user.kind in {"citizen", "enterprise"}
        return user.kind == self.audience


class ReviewState(models.TextChoices):
    """Where an implementation's working copy stands (services/catalogue_publishing.py)."""

    # In context: "Published" alone is also a date's label elsewhere.
    DRAFT = "draft", pgettext_lazy("catalogue state", "Draft")
    IN_REVIEW = "in_review", pgettext_lazy("catalogue state", "In review")
    APPROVED = "approved", pgettext_lazy("catalogue state", "Approved, to be published")
    PUBLISHED = "published", pgettext_lazy("catalogue state", "Published")


class ItemImplementation(models.Model):
    """A region's implementation (实施清单) of a standard item: what an applicant there files.

    Its review stages name departments of the region; its promised limit is never longer than
    the item's statutory one; its materials and form fields are the item's standard ones
    followed by its own local ones. Applications are filed under one implementation."""

    item = models.ForeignKey(
        ServiceItem,
        verbose_name=_("standard item"),
        on_delete=models.PROTECT,
        related_name="implementations",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="implementations"
    )
    promised_limit_days = models.PositiveSmallIntegerField(
        _("promised time limit (working days)"),
        null=True,
        blank=True,
        help_text=_("A shorter limit the government promises; empty if none."),
    )
    fee = models.DecimalField(
        _("fee (yuan)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty means free."),
    )
    fee_basis = models.CharField(_("basis of the fee"), max_length=255, blank=True)
    accepting_department = models.ForeignKey(
        Department,
        verbose_name=_("accepting department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the region's service centre."),
    )
    is_published = models.BooleanField(
        _("listed in the catalogue"),
        default=False,
        help_text=_("Listed in the catalogue: applicants file under its published version."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Draft → review → publish (services/catalogue_publishing.py). The rows are the working
    # copy; applicants see and file under `published_version`, frozen when it was published.
    review_state = models.CharField(
        _("state"), max_length=16, choices=ReviewState.choices, default=ReviewState.DRAFT
    )
    published_version = models.ForeignKey(
        "ServiceItemVersion",
        verbose_name=_("published version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "What applicants see and file under. Empty for an implementation published before "
            "versions were published: its rows serve until its first edit."
        ),
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_edited_at = models.DateTimeField(_("last edited"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted for review by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted for review"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("implementation")
        verbose_name_plural = _("implementations")
        ordering = ["item__code", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "region"], name="one_implementation_per_item_and_region"
            ),
            models.CheckConstraint(
                condition=models.Q(review_state__in=ReviewState.values),
                name="implementation_review_state_valid",
            ),
            # The four-eyes rule, as the last guard: whoever approves neither submitted nor
            # last edited what is approved (services/catalogue_publishing.py says so first).
            models.CheckConstraint(
                condition=~models.Q(review_state="approved")
                | (
                    models.Q(approved_by__isnull=False)
                    & ~models.Q(approved_by=models.F("submitted_by"))
                    & (
                        models.Q(last_edited_by__isnull=True)
                        | ~models.Q(approved_by=models.F("last_edited_by"))
                    )
                ),
                name="approved_implementation_approved_by_a_second_person",
            ),
        ]
        indexes = [models.Index(fields=["region", "is_published"], name="implementation_by_region")]

    def __str__(self) -> str:
        return f"{self.item} · {self.region}"

    def get_absolute_url(self) -> str:
        return f"{self.item.get_absolute_url()}?region={self.region.code}"

    @property
    def is_free(self) -> bool:
        return not self.fee

    def materials_in_order(self) -> list["Material"]:
        """The standard item's materials, then this region's own."""
        return list(
            Material.objects.filter(
                models.Q(implementation=self) | models.Q(item_id=self.item_id, implementation=None)
            ).order_by(models.F("implementation").asc(nulls_first=True), "order", "id")
        )

    def fields_in_order(self) -> list["FormField"]:
        """The standard item's form fields, then this region's own."""
        return list(
            FormField.objects.filter(
                models.Q(implementation=self) | models.Q(item_id=self.item_id, implementation=None)
            ).order_by(models.F("implementation").asc(nulls_first=True), "order", "id")
        )


class LocalToImplementation:
    """A material or form field of the standard item (`implementation` empty), or one region's own.

    A local one carries its implementation's item too, so that every reading by item finds it."""

    def save(self, *args, **kwargs):
        if self.implementation_id and not self.item_id:
            self.item_id = self.implementation.item_id
        super().save(*args, **kwargs)


def local_to(related_name: str):
    return models.ForeignKey(
        ItemImplementation,
        verbose_name=_("only in the implementation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name=related_name,
        help_text=_("Empty: asked in every region."),
    )


class Material(LocalToImplementation, models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    implementation = local_to("local_materials")
    code = models.SlugField(_("code"), max_length=48)
    name = models.CharField(_("name"), max_length=128)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    is_required = models.BooleanField(_("required"), default=True)
    sample = models.FileField(_("sample or template"), upload_to="samples/", blank=True)
    # Once-only (一次提交、多次使用): the same document asked by several items carries the same
    # kind, so a file the applicant gave for one item can be offered again for another.
    kind = models.SlugField(
        _("document type"),
        max_length=48,
        blank=True,
        help_text=_(
            "The same code on every item that asks for this document (e.g. id-card, "
            "business-licence): a file given in an earlier application can then be reused. "
            "Empty: always uploaded anew."
        ),
    )
    validity_days = models.PositiveIntegerField(
        _("reusable for (days)"),
        null=True,
        blank=True,
        default=365,
        help_text=_(
            "How long after it was given a file of this type may be reused. Empty: always."
        ),
    )
    # Once-only for what the government issued itself (电子证照免提交): the applicant may pick a
    # valid e-certificate of this item instead of uploading a copy.
    certificate_of = models.SlugField(
        _("or an e-certificate of the item"),
        max_length=32,
        blank=True,
        help_text=_(
            "The code of an item whose valid e-certificate satisfies this material (e.g. "
            "business-startup for a business licence copy). Empty: a file is uploaded."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "code"],
                condition=models.Q(implementation=None),
                name="unique_material_code_per_item",
            ),
            models.UniqueConstraint(
                fields=["implementation", "code"], name="unique_material_code_per_implementation"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Prefill(models.TextChoices):
    """Identity data the portal already holds, prefilled on the form (once-only)."""

    NONE = "", _("Nothing: the applicant types it")
    REAL_NAME = "real_name", _("Real name")
    RESIDENT_ID = "resident_id", _("Resident ID number")
    ENTERPRISE_NAME = "enterprise_name", _("Enterprise name")
    CREDIT_CODE = "credit_code", _("Unified social credit code")
    MOBILE = "mobile", _("Mobile")
    EMAIL = "email", _("E-mail")
    ADDRESS = "address", _("Address")


class FormFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    YES_NO = "yes_no", _("Yes / no")


class FormField(LocalToImplementation, models.Model):
    Kind = FormFieldKind

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="fields")
    implementation = local_to("local_fields")
    name = models.SlugField(
        _("key"),
        max_length=48,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$")],
        help_text=_("Lower-case letters, digits and underscores; stored with each answer."),
    )
    label = models.CharField(_("label"), max_length=128)
    label_en = models.CharField(_("English label"), max_length=128, blank=True)
    help_text = models.CharField(_("help text"), max_length=255, blank=True)
    help_text_en = models.CharField(_("English help text"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    is_required = models.BooleanField(_("required"), default=True)
    min_length = models.PositiveIntegerField(_("minimum length"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    pattern = models.CharField(_("pattern (regular expression)"), max_length=255, blank=True)
    pattern_message = models.CharField(
        _("message when the pattern does not match"), max_length=255, blank=True
    )
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("One per line, for choice fields.")
    )
    choices_en = models.TextField(
        _("choices in English"),
        blank=True,
        help_text=_(
            "One per line, in the order of the choices: what English readers see. The answer "
            "stored is the choice itself."
        ),
    )
    prefill_from = models.CharField(
        _("prefill from the account"),
        max_length=24,
        choices=Prefill.choices,
        blank=True,
        help_text=_("The applicant's data the portal already holds; they may still correct it."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "name"],
                condition=models.Q(implementation=None),
                name="unique_field_name_per_item",
            ),
            models.UniqueConstraint(
                fields=["implementation", "name"], name="unique_field_name_per_implementation"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=FormFieldKind.values),
                name="form_field_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(prefill_from__in=Prefill.values),
                name="form_field_prefill_from_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ReviewStage(models.Model):
    """A step of the review; the departments of one stage review in parallel, stages run in order."""

    implementation = models.ForeignKey(
        ItemImplementation, on_delete=models.CASCADE, related_name="stages"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=128)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review stage")
        verbose_name_plural = _("review stages")
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(
                fields=["implementation", "order"], name="unique_stage_order_per_implementation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class TimeoutPolicy(models.TextChoices):
    """What happens when a department stays silent past its deadline."""

    DEEMED_APPROVAL = "deemed_approval", _("Deemed approval (silence means consent)")
    ESCALATION = "escalation", _("Escalate to the department head")
    # A letter must be answered: silence past the deadline is escalated to the head, and no
    # sweep ever turns it into an answer (a letter's steps always carry this policy).
    ANSWER_REQUIRED = (
        "answer_required",
        _("Escalate to the department head; never deemed (a letter must be answered)"),
    )


# The policies that escalate to the head (the sweeper tells the heads of these tasks).
ESCALATING_POLICIES = frozenset({TimeoutPolicy.ESCALATION, TimeoutPolicy.ANSWER_REQUIRED})


class StageDepartment(models.Model):
    stage = models.ForeignKey(ReviewStage, on_delete=models.CASCADE, related_name="departments")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT
    )
    time_limit_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), default=5, validators=[MinValueValidator(1)]
    )
    timeout_policy = models.CharField(
        _("when the deadline passes"),
        max_length=24,
        choices=TimeoutPolicy.choices,
        default=TimeoutPolicy.DEEMED_APPROVAL,
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("remind staff (working days before the deadline)"), default=2
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department of a stage")
        verbose_name_plural = _("departments of the stage")
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "department"], name="unique_department_per_stage"
            ),
            models.CheckConstraint(
                condition=models.Q(timeout_policy__in=TimeoutPolicy.values),
                name="stage_department_timeout_policy_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} ({self.time_limit_days})"


class ServiceItemVersion(models.Model):
    """The frozen definition of an implementation as it was when applications were submitted."""

    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="versions")
    implementation = models.ForeignKey(
        ItemImplementation, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("service item version")
        verbose_name_plural = _("service item versions")
        constraints = [
            models.UniqueConstraint(
                fields=["implementation", "number"], name="unique_implementation_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item.code} v{self.number} ({self.implementation.region.code})"

    @cached_property
    def item_definition(self) -> ItemDefinition:
        """The frozen definition as typed objects, read from its JSON once per instance."""
        return ItemDefinition.from_json(self.definition)


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting acceptance")
    IN_REVIEW = "in_review", _("Under review")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class FilingCapacity(models.TextChoices):
    """In what capacity the account in `filed_by` filed for the applicant."""

    IN_PERSON = "in_person", _("By the applicant")
    SERVICE_CENTRE = "service_centre", _("By the service centre")
    AGENT = "agent", _("By an authorised agent")
    ENTERPRISE_MEMBER = "enterprise_member", _("By a member of the enterprise")


class Application(models.Model):
    """One application (办件): filed once, reviewed by every department concerned.

    `applicant` is the account in whose name the case is filed (the principal: it sees the case
    and may withdraw it); `filed_by` the account that filed it for them, in `filing_capacity`;
    the licensed party (subject) is `subject_account`, or for a new entity `subject_name`.
    """

    Status = ApplicationStatus
    Capacity = FilingCapacity

    item = models.ForeignKey(
        ServiceItem,
        verbose_name=_("service item"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    implementation = models.ForeignKey(
        ItemImplementation,
        verbose_name=_("implementation"),
        on_delete=models.PROTECT,
        related_name="applications",
        help_text=_("The region's implementation of the item the case is filed under."),
    )
    item_version = models.ForeignKey(
        ServiceItemVersion,
        verbose_name=_("item version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "A service-centre clerk, an agent or an enterprise's clerk filing for the applicant."
        ),
    )
    filing_capacity = models.CharField(
        _("filed"),
        max_length=24,
        choices=FilingCapacity.choices,
        default=FilingCapacity.IN_PERSON,
    )
    authorisation = models.ForeignKey(
        "Authorisation",
        verbose_name=_("authorisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        help_text=_("The power of attorney an agent filed under."),
    )
    # The licensed party (行政相对人): an account (the applicant, or the enterprise filed for),
    # or a new entity named in the form, with the credit code it receives later.
    subject_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("licensed party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_name = models.CharField(_("name of the licensed party"), max_length=128, blank=True)
    subject_credit_code = models.CharField(
        _("credit code of the licensed party"), max_length=18, blank=True
    )
    tracking_number = models.CharField(
        _("tracking number"), max_length=32, unique=True, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    current_stage = models.PositiveSmallIntegerField(_("current stage"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    routed_at = models.DateTimeField(_("routed"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    due_at = models.DateTimeField(_("overall due date"), null=True, blank=True)
    clock_stopped_at = models.DateTimeField(_("clock stopped since"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons of the decision"), blank=True)
    # Raised by PostgreSQL itself, in the transaction of every change to what the status page
    # shows (migration 0087: triggers on this row, its events, tasks, clock stops, extensions,
    # certificate, instruments, files, rating, and the names of the people on it): the page
    # cache's key (approvals/status_page.py). Whatever Django writes here is replaced.
    page_version = models.BigIntegerField(
        _("page version"), default=0, db_default=0, editable=False
    )

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ApplicationStatus.values),
                name="application_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | (
                    models.Q(tracking_number__isnull=False)
                    & models.Q(submitted_at__isnull=False)
                    & models.Q(item_version__isnull=False)
                ),
                name="submitted_application_has_tracking_number_and_snapshot",
            ),
            models.CheckConstraint(
                condition=models.Q(filing_capacity__in=FilingCapacity.values),
                name="application_filing_capacity_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(filing_capacity="agent") | models.Q(authorisation__isnull=True),
                name="only_agents_file_under_an_authorisation",
            ),
        ]
        indexes = [
            models.Index(fields=["applicant", "-created_at"], name="application_by_applicant"),
            models.Index(
                fields=["filed_by", "-created_at"],
                condition=models.Q(filed_by__isnull=False),
                name="application_by_filer",
            ),
            # The reconciler looks for submitted applications that were never routed.
            models.Index(
                fields=["submitted_at"],
                condition=models.Q(routed_at__isnull=True, status="submitted"),
                name="application_awaiting_routing",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number or _("Draft of %(item)s") % {"item": self.item.name}

    def get_absolute_url(self) -> str:
        return reverse("application_status", args=[self.pk])

    @cached_property
    def audit_department_id(self) -> int | None:
        """A case's audit entries all go to one chain, so one transaction about it locks one:
        the lead department's of the definition it follows (frozen once submitted), so that a
        draft of the catalogue never moves a case's entries to another chain."""
        return self.definition.lead_department_id

    @property
    def definition(self) -> ItemDefinition:
        """The item definition this application follows: frozen once submitted, live while a draft."""
        if self.item_version_id:
            return self.item_version.item_definition
        return self._draft_definition

    @cached_property
    def _draft_definition(self) -> ItemDefinition:
        # Read once per instance: a request asks for it several times (form, checks, freezing),
        # and each reading is five queries. A fresh instance (each request's) reads it anew.
        from .catalogue import serving_definition

        return serving_definition(self.implementation)

    @cached_property
    def subject(self):
        """The licensed party (services.parties.Subject): what decisions and certificates name."""
        from .parties import subject_of

        return subject_of(self)

    @property
    def filed_for(self) -> str:
        """Who filed for whom ("李四 (agent) for 张三"), or the applicant's name alone."""
        from .parties import filed_for_line

        return filed_for_line(self)

    @property
    def is_editable_by_applicant(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.SUPPLEMENT_REQUESTED}

    @property
    def is_closed(self) -> bool:
        return self.status in {self.Status.APPROVED, self.Status.REJECTED, self.Status.WITHDRAWN}


class ApplicationUserObjectPermission(DirectUserObjectPermission):
    """A person's permission on one application: its applicant, the agent or member who filed it.

    Keyed by the case first: the question asked is "may this person open this case?"."""

    pk = models.CompositePrimaryKey("content_object", "user", "permission")
    content_object = object_foreign_key(Application)

    class Meta:
        verbose_name = _("permission on an application")
        verbose_name_plural = _("permissions on applications")

    def __str__(self) -> str:
        return f"{self.content_object_id} · {self.user_id} · {self.permission_id}"


class ApplicationGroupObjectPermission(DirectGroupObjectPermission):
    """A group's permission on one application: an enterprise's overseers."""

    pk = models.CompositePrimaryKey("content_object", "group", "permission")
    content_object = object_foreign_key(Application)

    class Meta:
        verbose_name = _("group permission on an application")
        verbose_name_plural = _("group permissions on applications")

    def __str__(self) -> str:
        return f"{self.content_object_id} · {self.group_id} · {self.permission_id}"


def power_of_attorney_path(instance: "Authorisation", filename: str) -> str:
    # Random, with the extension of the sniffed type: never the uploader's file name.
    return f"authorisations/{instance.principal_id}/{instance.storage_name}"


class Authorisation(models.Model):
    """A power of attorney (委托书): the principal lets the agent file in their name.

    For one item or for all, from `valid_from` to `valid_until` (inclusive). Revoking it, or its
    expiry, stops new filings at once; cases already filed under it are never altered.
    """

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("principal"),
        on_delete=models.PROTECT,
        related_name="authorisations_given",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="authorisations_received",
    )
    item = models.ForeignKey(
        ServiceItem,
        verbose_name=_("service item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every service."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    power_of_attorney = models.FileField(
        _("power of attorney"), upload_to=power_of_attorney_path, max_length=255
    )
    storage_name = models.CharField(max_length=64)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=64)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="authorisation_period_not_reversed",
            ),
            models.CheckConstraint(
                condition=~models.Q(principal=models.F("agent")),
                name="authorisation_not_to_oneself",
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "principal"], name="authorisation_of_agent"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} → {self.agent} ({self.valid_from}–{self.valid_until})"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name never comes from the user: it is random, the extension from the sniffed type.
    return f"attachments/{instance.application_id}/{instance.sha256[:2]}/{instance.storage_name}"


class Attachment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="attachments"
    )
    material_code = models.SlugField(_("material"), max_length=48)
    # The document type of the material when the file was given, so a later application of
    # another item asking for the same type can reuse it.
    material_kind = models.SlugField(_("document type"), max_length=48, blank=True)
    reused_from = models.ForeignKey(
        "self",
        verbose_name=_("reused from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    storage_name = models.CharField(max_length=64)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    # The e-certificate this file is the signed PDF of, when the applicant chose one of theirs
    # instead of a copy (services/once_only.py): checked again when the case is decided.
    certificate_number = models.CharField(_("e-certificate"), max_length=32, blank=True)
    # Re-uploads (e.g. after a supplement request) supersede a file but never delete it.
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["material_code", "-uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material_code"],
                condition=models.Q(is_current=True),
                name="one_current_attachment_per_material",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name


class ApplicationEventKind(models.TextChoices):
    CREATED = "created", _("Draft started")
    ASSISTED_FILING = "assisted_filing", _("Assisted filing at the service centre")
    MATERIAL_REUSED = "material_reused", _("Material reused from an earlier application")
    SUBMITTED = "submitted", _("Application submitted")
    ROUTED = "routed", _("Received for acceptance")
    ACCEPTED = "accepted", _("Accepted")
    DEEMED_ACCEPTED = (
        "deemed_accepted",
        _("Deemed accepted on the day of receipt: no answer within the acceptance limit"),
    )
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    STAGE_OPENED = "stage_opened", _("Review stage opened")
    APPROVED_BY_DEPARTMENT = "department_approved", _("Approved by a department")
    DEEMED_APPROVED_BY_DEPARTMENT = (
        "department_deemed_approved",
        _("Deemed approved: no response by the deadline"),
    )
    REJECTED_BY_DEPARTMENT = "department_rejected", _("Rejected by a department")
    ESCALATED = "escalated", _("Overdue: escalated to the department head")
    REASSIGNED = "reassigned", _("Reassigned to another reviewer of the department")
    CLAIM_LAPSED = "claim_lapsed", _("Back in the department's queue: nobody worked on it")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    SUPPLEMENT_PROVIDED = "supplement_provided", _("Supplement provided")
    CLOCK_STOPPED = "clock_stopped", _("Clock stopped")
    CLOCK_RESUMED = "clock_resumed", _("Clock resumed")
    EXTENDED = "extended", _("Time limit extended")
    DEADLINES_RECOUNTED = "deadlines_recounted", _("Time limits recounted on a changed calendar")
    APPROVED = "approved", _("Application approved")
    REJECTED = "rejected", _("Application rejected")
    WITHDRAWN = "withdrawn", _("Application withdrawn")
    PUBLISHED = "published", _("Decision published")
    CERTIFICATE_ISSUED = "certificate_issued", _("E-certificate issued")
    CERTIFICATE_REVOKED = "certificate_revoked", _("E-certificate revoked")
    SECOND_ANSWER_REQUESTED = (
        "second_answer_requested",
        _("The writer asked for a second answer"),
    )


class ApplicationEvent(models.Model):
    """One line of the applicant-visible timeline; written by every state change."""

    Kind = ApplicationEventKind

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A substitute's act (代理审批): `actor` acted for this absent reviewer.
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acting for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ApplicationEventKind.values),
                name="application_event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_kind_display()}"


class Rating(models.Model):
    """The applicant's rating of a finished case (好差评): one per case, 1 (poor) to 5 (very good).

    Public statistics read these, so the name and shape are a contract with disclosure.
    """

    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="rating",
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("rated"), auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.score}/5"


class LetterKind(models.TextChoices):
    ENQUIRY = "enquiry", _("Enquiry")
    SUGGESTION = "suggestion", _("Suggestion")
    COMPLAINT = "complaint", _("Complaint")
    PRAISE = "praise", _("Praise")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Letter(models.Model):
    """A citizen's or an enterprise's letter to the government (政民互动): what the writer wrote.

    The letter's handling is its application's (same tracking number, tasks, deadlines, clock
    stops, sweeper, queues): this row keeps only what an application has no place for — the
    letter itself, the departments the triage chose, and the writer's ratings of the answers.
    """

    Kind = LetterKind
    Satisfaction = Satisfaction

    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="letter",
    )
    kind = models.CharField(_("kind of letter"), max_length=16, choices=LetterKind.choices)
    topic = models.CharField(_("topic"), max_length=200)
    # Stored as written; every page shows it as text (escaped), never as HTML.
    body = models.TextField(_("letter"))
    addressed_to = models.ForeignKey(
        Department,
        verbose_name=_("addressed to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The department the writer chose, if any; the triage decides who answers."),
    )
    consent_to_publish = models.BooleanField(
        _("the writer agrees to publication (masked)"), default=False
    )
    answering_departments = models.ManyToManyField(
        Department, verbose_name=_("answering departments"), blank=True, related_name="+"
    )
    satisfaction = models.CharField(
        _("rating of the answer"), max_length=24, choices=Satisfaction.choices, blank=True
    )
    rating_comment = models.TextField(_("comment on the answer"), blank=True, max_length=1000)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    second_answer_requested_at = models.DateTimeField(
        _("second answer requested"), null=True, blank=True
    )
    second_satisfaction = models.CharField(
        _("rating of the second answer"),
        max_length=24,
        choices=Satisfaction.choices,
        blank=True,
    )
    second_rated_at = models.DateTimeField(_("second answer rated"), null=True, blank=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=LetterKind.values), name="letter_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(satisfaction__in=["", *Satisfaction.values]),
                name="letter_satisfaction_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(second_satisfaction__in=["", *Satisfaction.values]),
                name="letter_second_satisfaction_valid",
            ),
            # Once, and only after an unsatisfied rating of the first answer.
            models.CheckConstraint(
                condition=models.Q(second_answer_requested_at__isnull=True)
                | models.Q(satisfaction=Satisfaction.UNSATISFIED),
                name="second_answer_only_when_unsatisfied",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.tracking_number} · {self.topic}"
