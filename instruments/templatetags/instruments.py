"""The instruments panel of the status page and of the staff case page.

A template tag, so that the approvals pages show the instruments without the approvals app
importing this one (the layers run accounts ← services ← approvals ← instruments ← disclosure).
"""

from django import template
from django.urls import reverse

from common.page_cache import page_changes_at

from ..generation import RECONCILE_WINDOW
from ..selectors import case_instruments

register = template.Library()


@register.inclusion_tag("instruments/includes/panel.html", takes_context=True)
def instruments_panel(context, application, task=None):
    rows = []
    for expected in case_instruments(application):
        if expected.instrument is None:
            # "Being prepared" is no longer said once the reconciler's window has passed.
            page_changes_at(context.get("request"), expected.event.created_at + RECONCILE_WINDOW)
        url = None
        if expected.instrument is not None:
            url = (
                reverse("instruments:staff_download", args=[task.pk, expected.instrument.pk])
                if task is not None
                else expected.instrument.get_absolute_url()
            )
        rows.append({"expected": expected, "instrument": expected.instrument, "url": url})
    return {"rows": rows, "for_staff": task is not None}


@register.inclusion_tag("instruments/includes/certificate_materials.html")
def certificate_materials_panel(application):
    """Materials given as e-certificates, verified again now: a revoked one is flagged."""
    from ..reuse import certificate_materials

    return {"rows": certificate_materials(application)}
