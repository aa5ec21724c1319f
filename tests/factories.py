"""Factories for the people, the catalogue and the cases the tests need.

Identity numbers are generated valid, with their check characters computed by the same
functions the portal uses, so a test that wants an invalid one says so explicitly.
"""

from __future__ import annotations

import itertools
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.identity import credit_code_check_character, resident_id_check_character
from accounts.models import Department, Membership, Region, User
from services.models import (
    Application,
    FormField,
    ItemImplementation,
    Material,
    ReviewStage,
    ServiceItem,
    StageDepartment,
    Theme,
    TimeoutPolicy,
)

PASSWORD = "Qz7-lantern-harbour"

# Tiny files whose magic bytes `filetype` recognises as what their names say.
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A real 1×1 transparent PNG.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00\x00"))
    + _png_chunk(b"IEND", b"")
)
TEXT_BYTES = b"This is a plain text file pretending to be a PDF.\n"

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(text: str) -> datetime:
    """A moment on the portal's clock, e.g. shanghai("2026-11-23 10:00") (a Monday)."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


_resident_sequence = itertools.count(1)
_credit_sequence = itertools.count(1)


BIRTH = date(1990, 5, 17)


def valid_resident_id(
    birth: date | None = None, region: str = "110105", serial: int | None = None
) -> str:
    """An 18-character resident ID number whose check character is right (GB 11643-1999).

    Numbered from a sequence unless `serial` is given: a thousand people a birthday, from 17 May
    1990 on, so that no two made in one database share a number."""
    if serial is None:
        number = next(_resident_sequence)
        serial, later = number % 1000, timedelta(days=number // 1000)
        birth = birth or BIRTH + later
    first_17 = f"{region}{birth or BIRTH:%Y%m%d}{serial:03d}"
    return first_17 + resident_id_check_character(first_17)


def valid_credit_code(serial: int | None = None) -> str:
    """An 18-character unified social credit code whose check character is right (GB 32100-2015)."""
    serial = next(_credit_sequence) if serial is None else serial
    first_17 = f"91110108{serial:09d}"
    return first_17 + credit_code_check_character(first_17)


def with_wrong_check_character(code: str, alphabet: str) -> str:
    """The same code with another check character from the same alphabet."""
    wrong = next(c for c in alphabet if c != code[-1])
    return code[:-1] + wrong


def pdf_upload(name: str = "身份证复印件.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png_upload(name: str = "photo.png", content: bytes = PNG_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


# --- people and departments ----------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.django.Password(PASSWORD)
    mobile = factory.Sequence(lambda n: f"138{n:08d}")


class CitizenFactory(UserFactory):
    username = factory.Sequence(lambda n: f"citizen{n}")
    kind = User.Kind.CITIZEN
    real_name = "张三"
    resident_id = factory.LazyFunction(valid_resident_id)


class EnterpriseFactory(UserFactory):
    username = factory.Sequence(lambda n: f"enterprise{n}")
    kind = User.Kind.ENTERPRISE
    real_name = "李经办"
    enterprise_name = factory.Sequence(lambda n: f"合肥市第{n}食品有限公司")
    credit_code = factory.LazyFunction(valid_credit_code)


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"officer{n}")
    kind = User.Kind.STAFF
    real_name = "王审批"


# --- regions -------------------------------------------------------------------------------------


def region(
    code: str, name: str, name_en: str, *, level: str = "city", parent: Region | None = None
) -> Region:
    """The region with this GB/T 2260 code, created if missing (a test's flush removes the
    regions the migrations made)."""
    return Region.objects.get_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "level": level, "parent": parent}
    )[0]


def the_province() -> Region:
    return region("340000", "安徽省", "Anhui Province", level="province")


def first_city() -> Region:
    """The city every factory-made department and implementation belongs to unless told."""
    return region("340100", "合肥市", "Hefei", parent=the_province())


def second_city() -> Region:
    return region("340200", "芜湖市", "Wuhu", parent=the_province())


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"第{n}审批局")
    region = factory.LazyFunction(first_city)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(StaffFactory)
    department = factory.SubFactory(DepartmentFactory)
    role = Membership.Role.REVIEWER


def reviewer_of(
    department: Department, role: str = Membership.Role.REVIEWER, **user_fields
) -> User:
    """A civil servant who reviews for the department."""
    return MembershipFactory(
        department=department, role=role, user=StaffFactory(**user_fields)
    ).user


def head_of(department: Department, **user_fields) -> User:
    """The department's head: approves extensions and receives escalations."""
    return reviewer_of(department, role=Membership.Role.HEAD, real_name="赵处长", **user_fields)


SERVICE_CENTRE_CODE = "service-centre"


def service_centre() -> Department:
    """The government service centre, which accepts (受理) every application, with its clerk.

    Created once per test; calling it again returns the same centre.
    """
    centre = DepartmentFactory(
        code=SERVICE_CENTRE_CODE,
        name="市政务服务中心",
        name_en="Service Centre",
        is_service_centre=True,
    )
    if not Membership.objects.filter(department=centre, role=Membership.Role.CLERK).exists():
        reviewer_of(centre, role=Membership.Role.CLERK, real_name="李受理")
    return centre


def clerk_of(department: Department) -> User:
    """An active acceptance clerk of the department, created if it has none."""
    membership = Membership.objects.filter(
        department=department, role=Membership.Role.CLERK, user__is_active=True
    ).first()
    if membership:
        return membership.user
    return reviewer_of(department, role=Membership.Role.CLERK, real_name="李受理")


# --- the catalogue -------------------------------------------------------------------------------


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"主题{n}")


# What ServiceItemFactory passes on to the item's implementation rather than to the item.
IMPLEMENTATION_TERMS = (
    "region",
    "is_published",
    "promised_limit_days",
    "fee",
    "fee_basis",
    "accepting_department",
)


class ServiceItemFactory(factory.django.DjangoModelFactory):
    """A standard item, implemented (published unless told) in the test city, or in `region`;
    `implemented=False` for a standard item no region implements yet."""

    class Meta:
        model = ServiceItem

    code = factory.Sequence(lambda n: f"item-{n}")
    name = factory.Sequence(lambda n: f"食品经营许可{n}")
    theme = factory.SubFactory(ThemeFactory)
    summary = "开办食品经营场所前须取得许可。"
    legal_basis = "《中华人民共和国食品安全法》第三十五条"
    is_published = True

    @classmethod
    def _create(cls, model_class, *args, implemented: bool = True, **kwargs):
        terms = {name: kwargs.pop(name) for name in IMPLEMENTATION_TERMS if name in kwargs}
        item = super()._create(model_class, *args, **kwargs)
        if implemented:
            if terms.get("region") is None:
                accepting = terms.get("accepting_department")
                terms["region"] = accepting.region if accepting else first_city()
            ItemImplementation.objects.create(item=item, **terms)
        return item


def implementation_of(item: ServiceItem, region: Region | None = None) -> ItemImplementation:
    """The item's implementation in `region`, else its first."""
    implementations = item.implementations.order_by("pk")
    if region is not None:
        implementations = implementations.filter(region=region)
    return implementations.first()


class ItemImplementationFactory(factory.django.DjangoModelFactory):
    """Another region's implementation of an item (ServiceItemFactory makes the first)."""

    class Meta:
        model = ItemImplementation

    item = factory.SubFactory(ServiceItemFactory, implemented=False)
    region = factory.LazyFunction(second_city)
    is_published = True


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    item = factory.SubFactory(ServiceItemFactory)
    code = factory.Sequence(lambda n: f"material_{n}")
    name = factory.Sequence(lambda n: f"申请材料{n}")
    is_required = True
    order = factory.Sequence(lambda n: n)


class FormFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FormField

    item = factory.SubFactory(ServiceItemFactory)
    name = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"字段{n}")
    kind = FormField.Kind.TEXT
    is_required = True
    order = factory.Sequence(lambda n: n)


class ReviewStageFactory(factory.django.DjangoModelFactory):
    """A stage of an implementation; given `item=`, of that item's first implementation."""

    class Meta:
        model = ReviewStage

    class Params:
        item = None

    implementation = factory.LazyAttribute(
        lambda stage: implementation_of(stage.item or ServiceItemFactory())
    )
    order = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda s: f"第{s.order}环节")


class StageDepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageDepartment

    stage = factory.SubFactory(ReviewStageFactory)
    department = factory.SubFactory(DepartmentFactory)
    time_limit_days = 5


# The fields and materials every item built by `item_with_stages` asks for, unless told otherwise.
DEFAULT_FIELDS = (
    {"name": "business_name", "label": "经营者名称", "min_length": 2, "max_length": 40},
    {
        "name": "postcode",
        "label": "邮政编码",
        "is_required": False,
        "pattern": r"\d{6}",
        "pattern_message": "A postcode has exactly six digits.",
    },
)
DEFAULT_MATERIALS = (
    {"code": "id_card", "name": "身份证明"},
    {"code": "site_photo", "name": "经营场所照片", "is_required": False},
)
DEFAULT_ANSWERS = {"business_name": "张三便利店", "postcode": "230001"}


def item_with_stages(
    stages: Sequence[Iterable[Department]],
    *,
    fields: Sequence[dict] = DEFAULT_FIELDS,
    materials: Sequence[dict] = DEFAULT_MATERIALS,
    time_limit_days: int = 5,
    timeout_policy: str = TimeoutPolicy.DEEMED_APPROVAL,
    reminder_days: int = 2,
    **item_fields,
) -> ServiceItem:
    """A published item whose review runs through `stages`, each a list of parallel departments.

    Acceptance is by the service centre (created here) unless `accepting_department` is given.
    """
    if item_fields.get("accepting_department") is None:
        service_centre()
    item = ServiceItemFactory(**item_fields)
    for order, spec in enumerate(fields):
        FormFieldFactory(item=item, order=order, **spec)
    for order, spec in enumerate(materials):
        MaterialFactory(item=item, order=order, **spec)
    for order, departments in enumerate(stages, start=1):
        stage = ReviewStageFactory(item=item, order=order, name=f"第{order}环节")
        for department in departments:
            StageDepartmentFactory(
                stage=stage,
                department=department,
                time_limit_days=time_limit_days,
                timeout_policy=timeout_policy,
                reminder_days=reminder_days,
            )
    return item


# --- applications --------------------------------------------------------------------------------


class Reached:
    """How far ApplicationFactory takes an application (its traits set `reached`)."""

    DRAFT = "draft"
    COMPLETE = "complete"
    SUBMITTED = "submitted"
    AT_ACCEPTANCE = "at_acceptance"
    IN_REVIEW = "in_review"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    # Each state is reached through the ones before it; the last four branch from review.
    PIPELINE = (DRAFT, COMPLETE, SUBMITTED, AT_ACCEPTANCE, IN_REVIEW)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application brought to a state through the portal's own domain functions, as an
    applicant, the service centre and the departments would, so every row a state implies
    (tasks, events, versions, certificates) exists.

    `ApplicationFactory()` is a draft of a one-department item by a citizen. Traits:
    `complete` (the answers and a PDF for every material), `submitted` (not yet routed),
    `at_acceptance` (routed to the accepting department), `in_review` (accepted: its first
    stage open), `supplement_requested` (the first department of that stage asked for more),
    `approved` (every department approved, stage after stage), `rejected` (the first
    department rejected it), `withdrawn` (withdrawn by the applicant during review).
    `answers` and `uploads` replace the defaults of a complete draft.

    Inside a `db` test the routing message is never sent (the transaction never commits):
    `submitted` stays unrouted unless the test routes it or uses the Celery worker.
    """

    class Meta:
        model = Application

    class Params:
        complete = factory.Trait(reached=Reached.COMPLETE)
        submitted = factory.Trait(reached=Reached.SUBMITTED)
        at_acceptance = factory.Trait(reached=Reached.AT_ACCEPTANCE)
        in_review = factory.Trait(reached=Reached.IN_REVIEW)
        supplement_requested = factory.Trait(reached=Reached.SUPPLEMENT_REQUESTED)
        approved = factory.Trait(reached=Reached.APPROVED)
        rejected = factory.Trait(reached=Reached.REJECTED)
        withdrawn = factory.Trait(reached=Reached.WITHDRAWN)

    item = factory.LazyFunction(lambda: item_with_stages([[DepartmentFactory()]]))
    applicant = factory.SubFactory(CitizenFactory)
    reached = Reached.DRAFT
    answers = None
    uploads = None

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("An application reaches a state by being saved: create it.")

    @classmethod
    def _create(cls, model_class, *, item, applicant, reached, answers, uploads):
        from services import filing

        application = filing.start_draft(item, applicant)
        along_the_pipeline = reached if reached in Reached.PIPELINE else Reached.IN_REVIEW
        for state in Reached.PIPELINE[1 : Reached.PIPELINE.index(along_the_pipeline) + 1]:
            application = _advance(application, state, answers=answers, uploads=uploads)
        if reached != along_the_pipeline:
            application = _conclude(application, reached)
        return application


def _advance(application: Application, state: str, *, answers, uploads) -> Application:
    """The step of the pipeline that brings `application` to `state`."""
    from approvals.routing import route_application
    from services import filing

    if state == Reached.COMPLETE:
        if uploads is None:
            uploads = {
                m.code: pdf_upload(f"{m.code}.pdf") for m in application.item.materials.all()
            }
        return filing.save_draft(
            application,
            dict(DEFAULT_ANSWERS if answers is None else answers),
            {code: sniffed(upload) for code, upload in uploads.items()},
            application.applicant,
        )
    if state == Reached.SUBMITTED:
        return filing.submit(application, application.applicant)
    if state == Reached.AT_ACCEPTANCE:
        route_application(application.pk)
        application.refresh_from_db()
        return application
    if state == Reached.IN_REVIEW:
        return accept(application)
    raise ValueError(state)


def _conclude(application: Application, reached: str) -> Application:
    """From review to the end `reached` names, through the departments' own decisions."""
    from approvals.decisions import Outcome, decide
    from services import filing

    if reached == Reached.WITHDRAWN:
        filing.withdraw(application, application.applicant, reason="不再需要")
    elif reached == Reached.APPROVED:
        while (
            task := application.review_tasks.filter(state="pending")
            .order_by("stage_order", "department__code")
            .first()
        ):
            decide(task.pk, reviewer_of(task.department), Outcome.APPROVE, "符合条件")
    else:
        task = first_task_of_current_stage(application)
        outcome, opinion = {
            Reached.SUPPLEMENT_REQUESTED: (Outcome.REQUEST_SUPPLEMENT, "请补充经营场所照片。"),
            Reached.REJECTED: (Outcome.REJECT, "经营场所不符合条件。"),
        }[reached]
        decide(task.pk, reviewer_of(task.department), outcome, opinion)
    application.refresh_from_db()
    return application


def first_task_of_current_stage(application: Application):
    return (
        application.review_tasks.filter(stage_order=application.current_stage)
        .order_by("department__code")
        .first()
    )


class ReviewTaskFactory(factory.django.DjangoModelFactory):
    """A review task, made the only way tasks are made: by routing and accepting a case.

    `ReviewTaskFactory()` is the task of the first department (by code) of the first review
    stage of a new case in review; give `application` (in review) and `department` to pick
    another. Traits: `decided` (approved by a reviewer of its department), `rejected` and
    `supplement_requested` (by the same reviewer, with an opinion).
    """

    class Meta:
        model = "approvals.ReviewTask"

    class Params:
        decided = factory.Trait(outcome="approve", opinion="符合条件")
        rejected = factory.Trait(outcome="reject", opinion="经营场所不符合条件。")
        supplement_requested = factory.Trait(
            outcome="request_supplement", opinion="请补充经营场所照片。"
        )

    application = factory.SubFactory(ApplicationFactory, in_review=True)
    department = None
    outcome = None
    opinion = ""

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("A review task is made by routing a case: create it.")

    @classmethod
    def _create(cls, model_class, *, application, department, outcome, opinion):
        from approvals.decisions import decide

        if department is None:
            task = first_task_of_current_stage(application)
        else:
            task = application.review_tasks.get(
                stage_order=application.current_stage, department=department
            )
        if outcome is not None:
            decide(task.pk, reviewer_of(task.department), outcome, opinion)
            task.refresh_from_db()
        return task


def _application(item: ServiceItem, applicant: User | None, **fields) -> Application:
    if applicant is not None:
        fields["applicant"] = applicant
    return ApplicationFactory(item=item, **fields)


def draft_application(item: ServiceItem, applicant: User | None = None) -> Application:
    return _application(item, applicant)


def sniffed(upload: SimpleUploadedFile) -> SimpleUploadedFile:
    """An upload as the application form hands it on: its real type read from its bytes."""
    from services.materials import sniff_material

    upload.sniffed_type = sniff_material(upload)
    return upload


def complete_draft(
    item: ServiceItem,
    applicant: User | None = None,
    *,
    answers: dict | None = None,
    uploads: dict | None = None,
) -> Application:
    """A draft with its answers and a PDF for every material, ready to be submitted."""
    return _application(item, applicant, complete=True, answers=answers, uploads=uploads)


def submitted_application(
    item: ServiceItem, applicant: User | None = None, **kwargs
) -> Application:
    """A submitted application with its answers and a PDF for every material (not yet routed).

    Inside a `db` test the routing message is never sent, because the test's transaction never
    commits; a test that wants routing calls `application_at_acceptance`, `routed_application`
    or uses the Celery worker.
    """
    return _application(item, applicant, submitted=True, **kwargs)


def application_at_acceptance(
    item: ServiceItem, applicant: User | None = None, **kwargs
) -> Application:
    """A submitted application routed to acceptance (受理): one task, for the accepting department."""
    return _application(item, applicant, at_acceptance=True, **kwargs)


def acceptance_task(application: Application):
    from approvals.models import ACCEPTANCE_STAGE, ReviewTask

    return ReviewTask.objects.get(application=application, stage_order=ACCEPTANCE_STAGE)


def accept(application: Application, clerk: User | None = None) -> Application:
    """The accepting department's clerk accepts the application, which opens its first stage."""
    from approvals.decisions import Outcome, decide

    task = acceptance_task(application)
    decide(task.pk, clerk or clerk_of(task.department), Outcome.APPROVE, "材料齐全，予以受理")
    application.refresh_from_db()
    return application


def routed_application(item: ServiceItem, applicant: User | None = None, **kwargs) -> Application:
    """A submitted application, routed and accepted: in review at its first stage's departments."""
    return _application(item, applicant, in_review=True, **kwargs)


def wait_until(
    condition: Callable[[], bool], *, timeout: float = 10.0, interval: float = 0.05
) -> bool:
    """Poll until the condition holds (e.g. the worker routed a case); False after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


# --- through the portal's pages ------------------------------------------------------------------


def application_form_data(
    answers: dict | None = None, *, submit: bool = False, **materials
) -> dict:
    """What the edit page posts: the answers, a file per material given, and the button pressed."""
    data = dict(DEFAULT_ANSWERS if answers is None else answers)
    data.update({f"material__{code}": upload for code, upload in materials.items()})
    data["submit" if submit else "save"] = ""
    return data


def apply_through_the_portal(client, item: ServiceItem, answers: dict | None = None) -> Application:
    """Start a draft from the guide and submit it with its materials, as the applicant does."""
    from django.urls import reverse

    started = client.post(reverse("services:start", args=[item.code]))
    assert started.status_code == 302, started
    application_id = int(started["Location"].rstrip("/").split("/")[-2])
    uploads = {m.code: pdf_upload(f"{m.code}.pdf") for m in item.materials.all()}
    submitted = client.post(
        reverse("services:edit", args=[application_id]),
        application_form_data(answers, submit=True, **uploads),
    )
    assert submitted.status_code == 302, submitted.context and submitted.context["form"].errors
    return Application.objects.get(pk=application_id)


def email_pending_notifications(kind: str | None = None) -> int:
    """Do what the Celery worker does after commit: e-mail every notification not yet sent
    (of one kind if given). For `db` tests, whose transaction never commits."""
    from accounts.models import Notification
    from accounts.notifications import email_notification

    pending = Notification.objects.filter(emailed_at__isnull=True)
    if kind:
        pending = pending.filter(kind=kind)
    return sum(email_notification(pk) for pk in pending.values_list("pk", flat=True))


def number_people_from(first: int) -> None:
    """Number the people made from now on from `first`: for a database that keeps the people of
    an earlier process (`bench --reuse`), whose factories counted from the same start."""
    global _resident_sequence, _credit_sequence
    UserFactory.reset_sequence(first)
    _resident_sequence = itertools.count(first)
    _credit_sequence = itertools.count(first)
