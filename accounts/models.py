"""People (citizens, enterprises, civil servants) and the departments they work in."""

import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .identity import is_valid_credit_code, validate_mobile, validate_resident_id


class BilingualNameMixin:
    """Catalogue objects carry a Chinese name and an English one; pages show the reader's."""

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


def new_session_salt() -> str:
    return secrets.token_hex(16)


class User(AbstractUser):
    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Citizen")
        ENTERPRISE = "enterprise", _("Enterprise")
        STAFF = "staff", _("Civil servant")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CITIZEN)
    real_name = models.CharField(_("real name"), max_length=64, blank=True)
    resident_id = models.CharField(
        _("resident ID number"), max_length=18, blank=True, validators=[validate_resident_id]
    )
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile])
    enterprise_name = models.CharField(_("enterprise name"), max_length=128, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    credit_code_override_reason = models.CharField(
        _("reason for accepting a code that fails the check"),
        max_length=255,
        blank=True,
        help_text=_("Only for codes from early pilot regions; recorded with who accepted it."),
    )
    credit_code_override_by = models.ForeignKey(
        "self",
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Part of every session's auth hash: renewing it logs the user out everywhere at once.
    session_salt = models.CharField(max_length=32, default=new_session_salt, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["resident_id"],
                condition=~models.Q(resident_id=""),
                name="unique_resident_id",
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="unique_credit_code",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["citizen", "enterprise", "staff"]),
                name="user_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.applicant_name or self.username

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "accounts.User.session", self.password + self.session_salt, algorithm="sha256"
        ).hexdigest()

    def log_out_everywhere(self) -> None:
        """Invalidate every session of this user, on every device."""
        self.session_salt = new_session_salt()
        self.save(update_fields=["session_salt"])

    @property
    def applicant_name(self) -> str:
        if self.kind == self.Kind.ENTERPRISE:
            return self.enterprise_name
        return self.real_name

    @property
    def is_natural_person(self) -> bool:
        return self.kind != self.Kind.ENTERPRISE

    def clean(self) -> None:
        super().clean()
        if self.credit_code and not is_valid_credit_code(self.credit_code):
            if not self.credit_code_override_reason:
                raise ValidationError(
                    {
                        "credit_code_override_reason": _(
                            "This credit code fails the GB 32100-2015 check. Record why it is accepted."
                        )
                    }
                )


class Department(BilingualNameMixin, models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    is_service_centre = models.BooleanField(
        _("service centre"),
        default=False,
        help_text=_("The centre accepts applications and files them on behalf of citizens."),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        REVIEWER = "reviewer", _("Reviewer")
        HEAD = "head", _("Department head")
        CLERK = "clerk", _("Acceptance clerk")

    user = models.ForeignKey(
        User, verbose_name=_("civil servant"), on_delete=models.CASCADE, related_name="memberships"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REVIEWER)

    class Meta:
        verbose_name = _("department membership")
        verbose_name_plural = _("department memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department"], name="one_membership_per_department"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["reviewer", "head", "clerk"]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"
