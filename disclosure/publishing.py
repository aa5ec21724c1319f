"""Publication of decisions in the register, as soon as they are made."""

from services.lifecycle import record_event
from services.models import Application, ApplicationEvent

from .masking import mask_person_name
from .models import DecisionRecord


def publish_decision(application: Application) -> DecisionRecord:
    """Put the decision in the public register; a second call returns the same record."""
    applicant = application.applicant
    name = (
        applicant.applicant_name
        if not applicant.is_natural_person
        else mask_person_name(applicant.real_name)
    )
    decided = list(
        application.review_tasks.filter(
            stage_order__gt=0, state__in=["approved", "deemed_approved", "rejected"]
        )
        .order_by("stage_order", "department__code")
        .values_list("department__name", "state")
    )
    departments = [name for name, _state in decided]
    silent = [name for name, state in decided if state == "deemed_approved"]
    item = application.definition["item"]
    record, created = DecisionRecord.objects.get_or_create(
        application=application,
        defaults={
            "tracking_number": application.tracking_number,
            "item_code": item["code"],
            "item_name": item["name"],
            "item_name_en": item["name_en"],
            "applicant_display": name,
            "outcome": application.status,
            "departments": "、".join(dict.fromkeys(departments)),
            "deemed_approved_by": "、".join(dict.fromkeys(silent)),
            "decided_at": application.decided_at,
        },
    )
    if created:
        record_event(application, ApplicationEvent.Kind.PUBLISHED)
    return record
