"""Issued e-certificates reused as materials (信息共享, 免提交; issue 18 §8).

A material whose definition names an item (`certificate_of`) may be satisfied by one of the
applicant's own valid e-certificates of that item: its signed PDF (the certificate's
instrument) is attached in place of an uploaded copy, and the attachment keeps the
certificate's number. The certificate is verified twice: when it is chosen (valid, unrevoked,
unexpired, its Ed25519 signature checked) and again, live, on the reviewer's case page, where
one revoked or expired in between is flagged.

Whose certificates may be picked is `holder_ids()`: the applicant's, that is the principal's
when an agent or an enterprise's clerk files (issue 17), never the filer's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.certificates import CertificateStatus, verify_certificate
from approvals.models import Certificate
from services.lifecycle import official_language, record_event
from services.materials import store_attachment
from services.models import Application, ApplicationEvent, Attachment

from .generation import issue_instrument
from .models import Instrument, Kind


def holder_ids(application: Application) -> list[int]:
    """Whose certificates the filer may use: the applicant's, in whose name the case is filed
    (an agent picks their principal's, a clerk the enterprise's; never the filer's own)."""
    return [application.applicant_id]


def _specs(application: Application) -> dict:
    """The materials an e-certificate may stand for (services.definitions.MaterialDefinition)."""
    return {m.code: m for m in application.definition.materials if m.certificate_of}


def _candidates(application: Application, item_codes: set[str]):
    today = timezone.localdate()
    return (
        Certificate.objects.filter(
            application__applicant_id__in=holder_ids(application),
            item_code__in=item_codes,
            revoked_at__isnull=True,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .exclude(application=application)
        .order_by("-issued_at")
    )


class IssuedCertificates:
    """The source filing asks (services.once_only.register_certificate_source)."""

    def offers(self, application: Application) -> dict[str, list[Certificate]]:
        specs = _specs(application)
        if not specs:
            return {}
        found = [
            certificate
            for certificate in _candidates(application, {s.certificate_of for s in specs.values()})
            if verify_certificate(certificate) == CertificateStatus.VALID
        ]
        return {
            code: [c for c in found if c.item_code == spec.certificate_of]
            for code, spec in specs.items()
            if any(c.item_code == spec.certificate_of for c in found)
        }

    @transaction.atomic
    def use(self, application: Application, material_code: str, certificate_id: int, actor):
        application = Application.objects.select_for_update().get(pk=application.pk)
        if not application.is_editable_by_applicant:
            raise ValidationError(_("This application can no longer be changed."))
        offered = {c.pk: c for c in self.offers(application).get(material_code, [])}
        certificate = offered.get(int(certificate_id))
        if certificate is None:
            raise PermissionDenied(_("This e-certificate cannot be used here."))
        pdf = certificate_pdf(certificate)
        spec = _specs(application)[material_code]
        attachment = store_attachment(
            application,
            material_code,
            ContentFile(pdf, name=f"{certificate.number}.pdf"),
            "application/pdf",
            actor,
            material_kind=spec.kind,
        )
        Attachment.objects.filter(pk=attachment.pk).update(certificate_number=certificate.number)
        attachment.certificate_number = certificate.number
        with official_language():
            note = _("%(material)s: e-certificate %(number)s (%(item)s), valid when chosen") % {
                "material": spec.name,
                "number": certificate.number,
                "item": certificate.item_name,
            }
        record_event(application, ApplicationEvent.Kind.MATERIAL_REUSED, actor=actor, note=note)
        return attachment


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate's signed PDF, issued now if its task has not yet run."""
    instrument = Instrument.objects.filter(
        application_id=certificate.application_id, kind=Kind.CERTIFICATE
    ).first()
    if instrument is None:
        event = ApplicationEvent.objects.filter(
            application_id=certificate.application_id,
            kind=ApplicationEvent.Kind.CERTIFICATE_ISSUED,
        ).first()
        instrument = issue_instrument(event.pk) if event else None
    if instrument is None:
        raise PermissionDenied(_("This e-certificate cannot be used here."))
    return bytes(Instrument.objects.values_list("pdf", flat=True).get(pk=instrument.pk))


@dataclass(frozen=True)
class CertificateMaterial:
    attachment: Attachment
    certificate: Certificate | None
    status_now: str  # a CertificateStatus; "invalid" when the number matches nothing

    @property
    def flagged(self) -> bool:
        return self.status_now != CertificateStatus.VALID


def certificate_materials(application: Application) -> list[CertificateMaterial]:
    """The case's materials that are e-certificates, each verified again now (decision time)."""
    attachments = list(
        application.attachments.filter(is_current=True).exclude(certificate_number="")
    )
    if not attachments:
        return []
    certificates = {
        c.number: c
        for c in Certificate.objects.filter(number__in=[a.certificate_number for a in attachments])
    }
    rows = []
    for attachment in attachments:
        certificate = certificates.get(attachment.certificate_number)
        status = verify_certificate(certificate) if certificate else CertificateStatus.INVALID
        rows.append(CertificateMaterial(attachment, certificate, status))
    return rows
