"""Once-only (一次提交、多次使用): what the portal already knows is not asked for again.

Identity data comes from the account (fields whose `prefill_from` names it). A material whose
document type (`Material.kind`) the applicant already gave in an earlier application, within
the type's validity, can be reused: the stored file is copied into the new case, so the new
case's reviewers see it through their own case, and the earlier case keeps its own copy.
"""

from datetime import timedelta
from typing import Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .definitions import ItemDefinition, MaterialDefinition
from .lifecycle import official_language, record_event
from .materials import store_attachment
from .models import Application, ApplicationEvent, Attachment, Prefill

PREFILL_SOURCES = {choice.value for choice in Prefill if choice.value}


def identity_answers(definition: ItemDefinition, applicant) -> dict:
    """Answers the account already holds, for the fields of the form that ask for them."""
    answers = {}
    for field in definition.fields:
        if field.prefill_from in PREFILL_SOURCES:
            value = getattr(applicant, field.prefill_from, "") or ""
            if value:
                answers[field.name] = value
    return answers


def _still_valid(attachment: Attachment, validity_days: int | None, now) -> bool:
    return validity_days is None or attachment.uploaded_at >= now - timedelta(days=validity_days)


def reusable_materials(application: Application) -> dict[str, Attachment]:
    """For each material of the form, the applicant's latest still-valid file of its type
    given in another submitted application (one query, whatever the number of materials)."""
    specs: dict[str, MaterialDefinition] = {
        m.code: m for m in application.definition.materials if m.kind
    }
    if not specs:
        return {}
    now = timezone.now()
    candidates = (
        Attachment.objects.filter(
            application__applicant_id=application.applicant_id,
            application__submitted_at__isnull=False,
            material_kind__in={spec.kind for spec in specs.values()},
            is_current=True,
        )
        .exclude(application_id=application.pk)
        .select_related("application")
        .order_by("-uploaded_at")
    )
    latest_of_kind: dict[str, Attachment] = {}
    for attachment in candidates:
        latest_of_kind.setdefault(attachment.material_kind, attachment)
    return {
        code: latest_of_kind[spec.kind]
        for code, spec in specs.items()
        if spec.kind in latest_of_kind
        and _still_valid(latest_of_kind[spec.kind], spec.validity_days, now)
    }


@transaction.atomic
def reuse_material(
    application: Application, material_code: str, source_id: int, actor
) -> Attachment:
    """Attach a copy of a file the applicant gave before, and say so on the timeline."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable_by_applicant:
        raise ValidationError(_("This application can no longer be changed."))
    spec = application.definition.material(material_code)
    offered = reusable_materials(application).get(material_code)
    # Only what the form offered: the applicant's own, submitted, of this type, still valid.
    if spec is None or offered is None or offered.pk != int(source_id):
        raise PermissionDenied(_("This file cannot be reused here."))
    source = offered
    with source.file.open("rb") as stored:
        content = stored.read()
    copy = store_attachment(
        application,
        material_code,
        ContentFile(content, name=source.original_name),
        source.content_type,
        actor,
        material_kind=source.material_kind,
        reused_from=source,
    )
    with official_language():
        note = _("%(material)s: the file given on %(date)s for %(number)s") % {
            "material": spec.name,
            "date": timezone.localtime(source.uploaded_at).strftime("%Y-%m-%d"),
            "number": source.application.tracking_number,
        }
    record_event(application, ApplicationEvent.Kind.MATERIAL_REUSED, actor=actor, note=note)
    return copy


# --- e-certificates in place of a copy (电子证照免提交) -----------------------------------------
#
# A material may say "satisfied by a valid e-certificate of item X" (Material.certificate_of).
# Certificates are issued to the right of filing (approvals, instruments), so filing asks
# whoever registered as their source, the way it announces its own events with signals.


class CertificateSource(Protocol):
    def offers(self, application: Application) -> dict[str, list]:
        """For each material code, the applicant's certificates that may stand for it."""

    def use(self, application: Application, material_code: str, certificate_id: int, actor):
        """Attach the certificate in place of the material, or raise PermissionDenied."""


_certificate_sources: list[CertificateSource] = []


def register_certificate_source(source: CertificateSource) -> None:
    if source not in _certificate_sources:
        _certificate_sources.append(source)


def certificate_offers(application: Application) -> dict[str, list]:
    if not any(m.certificate_of for m in application.definition.materials):
        return {}
    offers: dict[str, list] = {}
    for source in _certificate_sources:
        for code, certificates in source.offers(application).items():
            offers.setdefault(code, []).extend(certificates)
    return offers


def use_certificate(application: Application, material_code: str, certificate_id: int, actor):
    if not _certificate_sources:
        raise PermissionDenied(_("E-certificates cannot be used here."))
    return _certificate_sources[0].use(application, material_code, certificate_id, actor)
