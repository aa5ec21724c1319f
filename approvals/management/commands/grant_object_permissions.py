from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.permissions import sync_department_groups
from approvals.models import Extension, ReviewTask
from approvals.permissions import grant_extension, grant_task
from services.models import Application
from services.permissions import grant_applicant


class Command(BaseCommand):
    help = (
        "Grant the object permissions every existing application, task and extension should "
        "have, and sync department groups. Idempotent: for upgrades and repairs."
    )

    def handle(self, *args, **options):
        for user in User.objects.filter(memberships__isnull=False).distinct().iterator():
            sync_department_groups(user)
        counts = {"applications": 0, "tasks": 0, "extensions": 0}
        for application in Application.objects.select_related("applicant").iterator():
            grant_applicant(application)
            counts["applications"] += 1
        for task in ReviewTask.objects.iterator():
            grant_task(task)
            counts["tasks"] += 1
        for extension in Extension.objects.select_related("task").iterator():
            grant_extension(extension, extension.task.department_id)
            counts["extensions"] += 1
        self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()) + " granted.")
