from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.permissions import sync_department_groups
from approvals.models import Extension
from approvals.permissions import grant_extension
from services.models import Application
from services.permissions import grant_applicant


class Command(BaseCommand):
    help = (
        "Grant the object permissions every existing application and extension should have, "
        "and sync department groups (which alone decide who sees and decides review tasks). "
        "Idempotent: for upgrades and repairs."
    )

    def handle(self, *args, **options):
        for user in User.objects.filter(memberships__isnull=False).distinct().iterator():
            sync_department_groups(user)
        counts = {"applications": 0, "extensions": 0}
        for application in Application.objects.select_related("applicant").iterator():
            grant_applicant(application)
            counts["applications"] += 1
        for extension in Extension.objects.select_related("task").iterator():
            grant_extension(extension, extension.task.department_id)
            counts["extensions"] += 1
        self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()) + " granted.")
