from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and departments")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Imported for their side effects: `checks` registers the key checks, `reauth` records
        # the time of each login in its session.
        from . import audit_receivers, checks, reauth  # noqa: F401
        from .models import Membership
        from .permissions import sync_department_groups

        def membership_changed(sender, instance, **kwargs):
            sync_department_groups(instance.user)

        post_save.connect(membership_changed, sender=Membership, weak=False)
        post_delete.connect(membership_changed, sender=Membership, weak=False)

        # Logins, new accounts and every change of who may do what, into the audit log.
        audit_receivers.connect()
