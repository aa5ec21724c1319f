from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Virtual government")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from services import review

        from . import checks, decisions, receivers  # noqa: F401  (system checks; filing's signals)
        from .calendar import forget_cached_calendar
        from .models import CalendarDay
        from .receivers import recount_after_commit

        # A request that edits the calendar counts its own later deadlines on the edited one
        # (every other reader sees the calendar's new version in the database).
        post_save.connect(forget_cached_calendar, sender=CalendarDay)
        post_delete.connect(forget_cached_calendar, sender=CalendarDay)
        # What filing calls for a supplement and a withdrawal (services/review.py).
        review.install(decisions)
        # Open deadlines are counted again on the edited calendar (approvals/recount.py).
        post_save.connect(recount_after_commit, sender=CalendarDay)
        post_delete.connect(recount_after_commit, sender=CalendarDay)
