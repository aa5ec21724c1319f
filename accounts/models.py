"""People (citizens, enterprises, civil servants), the departments they work in, and the audit log
of what they do."""

import json
import secrets
from datetime import UTC

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import signing
from .crypto import blind_index
from .fields import BlindIndexField, EncryptedTextField
from .identity import (
    is_valid_credit_code,
    mask_address,
    mask_mobile,
    mask_resident_id,
    validate_mobile,
    validate_resident_id,
)


class BilingualNameMixin:
    """Catalogue objects carry a Chinese name and an English one; pages show the reader's."""

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


def new_session_salt() -> str:
    return secrets.token_hex(16)


DUPLICATE_RESIDENT_ID = "duplicate_resident_id"


class UserQuerySet(models.QuerySet):
    def with_resident_id(self, resident_id: str) -> "UserQuerySet":
        """The account registered with this ID number, however it is spelled, through its blind index.

        The encrypted column cannot be filtered on: `filter(resident_id=...)` raises.
        """
        index = blind_index("resident_id", resident_id)
        if not index:
            return self.none()
        return self.filter(resident_id_index=index)


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class UserKind(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    ENTERPRISE = "enterprise", _("Enterprise")
    STAFF = "staff", _("Civil servant")


# Notifications are written in the preferred language; "" until the person chooses one.
LANGUAGE_CHOICES = [("", _("Not chosen yet")), *settings.LANGUAGES]


class User(AbstractUser):
    Kind = UserKind

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CITIZEN)
    real_name = models.CharField(_("real name"), max_length=64, blank=True)
    # Personal identifiers are encrypted at rest (accounts/crypto.py, docs/security.md);
    # the instance holds the plaintext, the column a Fernet token.
    resident_id = EncryptedTextField(
        _("resident ID number"), max_length=18, blank=True, validators=[validate_resident_id]
    )
    resident_id_index = BlindIndexField(
        _("resident ID number blind index"), source="resident_id", kind="resident_id", db_index=True
    )
    mobile = EncryptedTextField(
        _("mobile"), max_length=11, blank=True, validators=[validate_mobile]
    )
    address = EncryptedTextField(_("address"), max_length=200, blank=True)
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

    # Notifications (e-mail and inbox) are written in this language, whatever the sender's
    # is: set when the person registers and whenever they switch the portal's language.
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=16,
        choices=LANGUAGE_CHOICES,
        blank=True,
    )
    # The elderly-friendly mode (适老化, 长辈版): larger type, higher contrast, simpler pages. Kept
    # on the account as well as in a cookie, so that it follows the person to another device.
    elderly_mode = models.BooleanField(_("elderly-friendly mode"), default=False)
    # The region whose catalogue the person sees and files in, unless they choose another.
    region = models.ForeignKey(
        "Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the holder proved they read `email` (a code sent there at registration); only a
    # verified address receives password-reset codes (accounts/email_codes.py).
    email_verified_at = models.DateTimeField(_("e-mail verified"), null=True, blank=True)
    # An account opened at the service-centre counter has no password; the citizen claims it
    # online with their ID number and the one-time code printed on their receipt. Hashed like
    # a password (only its holder knows it); emptied once the account is claimed.
    claim_code = models.CharField(_("claim code (hashed)"), max_length=128, blank=True)

    # Part of every session's auth hash: renewing it logs the user out everywhere at once.
    session_salt = models.CharField(max_length=32, default=new_session_salt, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # The admin shows ID numbers and mobiles masked; this right reveals them, audited.
        permissions = [
            ("reveal_personal_identifiers", _("Can reveal ID numbers and mobiles, audited")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    preferred_language__in=[code for code, _name in LANGUAGE_CHOICES]
                ),
                name="user_preferred_language_valid",
            ),
            # On the blind index: tokens of the same ID number differ, their HMACs do not.
            models.UniqueConstraint(
                fields=["resident_id_index"],
                condition=~models.Q(resident_id_index=""),
                name="unique_resident_id_index",
                violation_error_code=DUPLICATE_RESIDENT_ID,
                violation_error_message=_(
                    "An account with this resident ID number already exists."
                ),
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="unique_credit_code",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=UserKind.values),
                name="user_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.applicant_name or self.username

    def save(self, *args, update_fields=None, **kwargs):
        # The blind index is computed in its field's pre_save, which runs only for saved fields.
        if update_fields is not None and "resident_id" in update_fields:
            update_fields = {*update_fields, "resident_id_index"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def validate_constraints(self, exclude=None) -> None:
        # The unique constraint is on the blind index, which forms do not edit: compute it from
        # the plaintext being validated, and report a clash on the ID number field.
        exclude = set(exclude or ())
        self.resident_id_index = blind_index("resident_id", self.resident_id)
        if "resident_id" not in exclude:
            exclude.discard("resident_id_index")
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            general = errors.pop(NON_FIELD_ERRORS, [])
            for item in general:
                if item.code == DUPLICATE_RESIDENT_ID:
                    errors.setdefault("resident_id", []).append(item)
                else:
                    errors.setdefault(NON_FIELD_ERRORS, []).append(item)
            raise ValidationError(errors) from None

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "accounts.User.session", self.password + self.session_salt, algorithm="sha256"
        ).hexdigest()

    def log_out_everywhere(self) -> None:
        """Invalidate every session of this user, on every device, and every API token."""
        from knox.models import AuthToken

        self.session_salt = new_session_salt()
        self.save(update_fields=["session_salt"])
        AuthToken.objects.filter(user=self).delete()

    @property
    def applicant_name(self) -> str:
        if self.kind == self.Kind.ENTERPRISE:
            return self.enterprise_name
        return self.real_name

    # For staff pages and the holder's own pages: enough to recognise, not enough to reuse.
    @property
    def masked_resident_id(self) -> str:
        return mask_resident_id(self.resident_id)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)

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


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District or county")


# GB/T 2260: six digits, two each for the province, the city and the district ("00" for none).
REGION_CODE = RegexValidator(r"^[1-9]\d{5}$", _("A region code is six digits (GB/T 2260)."))


class Region(BilingualNameMixin, models.Model):
    """An administrative division (行政区划): province, city, district, with its GB/T 2260 code.

    Departments belong to a region; each region implements the catalogue's standard items
    with its own departments, limits and fees (services.ItemImplementation)."""

    Level = RegionLevel

    code = models.CharField(
        _("code (GB/T 2260)"), max_length=6, unique=True, validators=[REGION_CODE]
    )
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=RegionLevel.values), name="region_level_valid"
            ),
            # Only a province stands alone; a city or district is part of another region.
            models.CheckConstraint(
                condition=models.Q(level="province", parent__isnull=True)
                | (~models.Q(level="province") & models.Q(parent__isnull=False)),
                name="region_parent_by_level",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def with_ancestors(self) -> list["Region"]:
        """This region and those it is part of, itself first (a district, its city, its province)."""
        regions, region = [], self
        while region is not None:
            regions.append(region)
            region = region.parent
        return regions


class Department(BilingualNameMixin, models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="departments"
    )
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
        # In the reader's language, as the pages name it: the admin's lists, filters and choices.
        return self.display_name


class MembershipRole(models.TextChoices):
    REVIEWER = "reviewer", _("Reviewer")
    HEAD = "head", _("Department head")
    CLERK = "clerk", _("Acceptance clerk")


class Membership(models.Model):
    Role = MembershipRole

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
                condition=models.Q(role__in=MembershipRole.values),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"


# The beginning of the single chain the log was before it was split (migration 0040).
GENESIS_HASH = "0" * 64
SYSTEM_CHAIN = "system"


def canonical_json(content) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same content always gives the same bytes."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_genesis(key: str, algorithm: str) -> str:
    """A chain's own beginning: no entry of one chain can pass for the first of another."""
    return signing.hexdigest(f"portal-audit-chain:{key}".encode(), algorithm)


def link_hash(previous_hash: str, content_digest: str, algorithm: str) -> str:
    """An entry's hash: its predecessor's hash followed by the digest of its own content.

    Hashing the content's digest rather than the content lets an inclusion proof carry the
    later entries of a chain as digests only, never what they say (accounts/anchors.py).
    """
    return signing.hexdigest((previous_hash + content_digest).encode(), algorithm)


class AuditChain(models.Model):
    """One hash chain of the audit log: the system's, or one department's.

    Each chain has its own genesis and its own lock (a row lock on this row, taken by
    `accounts.audit` while it appends), so departments never wait for one another. The head
    columns follow the last entry; `verify_audit` checks that they do.
    """

    key = models.CharField(_("key"), max_length=64, unique=True)
    department = models.OneToOneField(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_chain",
    )
    genesis_hash = models.CharField(_("genesis hash"), max_length=64)
    head_hash = models.CharField(_("head hash"), max_length=64)
    head_entry_id = models.BigIntegerField(_("head entry"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(key="system", department__isnull=True)
                | (~models.Q(key="system") & models.Q(department__isnull=False)),
                name="audit_chain_system_or_department",
            ),
        ]

    def __str__(self) -> str:
        return str(self.department) if self.department_id else str(_("System"))


class AuditEntry(models.Model):
    """One line of the tamper-evident audit log: who did what to which object, when, from where.

    Entries form one hash chain per department plus one for the system (AuditChain). Each
    carries the hash of its predecessor in its chain and `link_hash(previous, digest of its own
    content)`, computed with its own `algorithm` (SHA-256 or SM3, accounts/signing.py), so
    editing or deleting any entry breaks its chain from there on (`manage.py verify_audit`).
    Entries are written only by `accounts.audit.record()`; a database trigger refuses UPDATE
    and DELETE (migration 0006). The actor is a plain id and a name copied at the time, not a
    foreign key: deleting or renaming a user must never rewrite the log.
    """

    chain = models.ForeignKey(
        AuditChain, verbose_name=_("chain"), on_delete=models.PROTECT, related_name="entries"
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("actor's user id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    algorithm = models.CharField(
        _("hash algorithm"),
        max_length=8,
        default=signing.SHA256,
        help_text=_("The hash this entry was chained with: sha256, or sm3 (national suite)."),
    )
    previous_hash = models.CharField(_("previous entry's hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        constraints = [
            # One successor per entry: the chain cannot fork, whatever a writer forgot to lock.
            # Global, not per chain: each chain starts from a genesis of its own.
            models.UniqueConstraint(fields=["previous_hash"], name="audit_chain_does_not_fork"),
            models.UniqueConstraint(fields=["hash"], name="audit_hash_unique"),
            models.CheckConstraint(
                condition=models.Q(hash__regex=r"^[0-9a-f]{64}$")
                & models.Q(previous_hash__regex=r"^[0-9a-f]{64}$"),
                name="audit_hashes_are_sha256_hex",
            ),
            models.CheckConstraint(
                condition=models.Q(algorithm__in=signing.HASH_ALGORITHMS),
                name="audit_entry_algorithm_known",
            ),
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor_id", "at"], name="audit_actor_at"),
            # verify_audit walks each chain in id order.
            models.Index(fields=["chain", "id"], name="audit_chain_order"),
        ]

    def __str__(self) -> str:
        target = f" {self.object_type}:{self.object_id}" if self.object_type else ""
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}{target}"

    def chained_content(self) -> dict:
        """What the hash covers, besides the previous hash: everything but the row id and chain."""
        return {
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "detail": self.detail,
            "ip": self.ip,
        }

    def content_digest(self) -> str:
        return signing.hexdigest(canonical_json(self.chained_content()), self.algorithm)

    def compute_hash(self) -> str:
        return link_hash(self.previous_hash, self.content_digest(), self.algorithm)


class AuditAnchor(models.Model):
    """One day's public anchor: the Merkle root of every chain's head, signed (accounts/anchors.py).

    Published in the disclosure section, so a history rewritten in the database later, every
    hash recomputed, no longer matches a root the public already holds.
    """

    day = models.DateField(_("day"), unique=True)
    created_at = models.DateTimeField(_("anchored at"), default=timezone.now)
    hash_algorithm = models.CharField(_("hash algorithm"), max_length=8)
    leaves = models.JSONField(
        _("chain heads"), help_text=_("Each chain's key, head entry id and head hash, in order.")
    )
    tree_size = models.PositiveIntegerField(_("number of chains"))
    root_hash = models.CharField(_("Merkle root"), max_length=64, unique=True)
    signature_algorithm = models.CharField(_("signature algorithm"), max_length=8)
    key_id = models.CharField(_("signing key"), max_length=32)
    signature = models.TextField(_("signature"))

    class Meta:
        verbose_name = _("audit anchor")
        verbose_name_plural = _("audit anchors")
        ordering = ["-day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hash_algorithm__in=signing.HASH_ALGORITHMS),
                name="audit_anchor_hash_algorithm_known",
            ),
            models.CheckConstraint(
                condition=models.Q(signature_algorithm__in=signing.SIGNATURE_ALGORITHMS),
                name="audit_anchor_signature_algorithm_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.root_hash[:16]}…"


class Notification(models.Model):
    """One message to one person: shown in their inbox, and e-mailed once by a Celery task.

    `key` names the event (e.g. "receipt:42"); with the recipient it is unique, so announcing
    the same event twice (a task retried, a sweep run twice) writes and sends it once. Subject
    and body are rendered from templates/notifications/<kind>.* in the recipient's language,
    from `context`, which holds plain data only (numbers, names, notes, paths).
    """

    recipient = models.ForeignKey(
        User,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=48)
    key = models.CharField(_("event key"), max_length=128)
    context = models.JSONField(_("content"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], name="one_notification_per_event_and_recipient"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_inbox",
            ),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            # The reconciler re-sends e-mails whose task was lost (broker down at commit).
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_not_emailed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.key}"


# --- enterprises and the people who act for them (issue 17 §3) ----------------------------------


class EnterpriseRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    ADMINISTRATOR = "administrator", _("Administrator")
    CLERK = "clerk", _("Clerk")


class EnterpriseMember(models.Model):
    """A person who acts for an enterprise account, in one role.

    The legal representative (法定代表人) and administrators see and may withdraw every case of
    the enterprise; an administrator also invites and removes members; a clerk (经办人) files
    for the enterprise and sees what they filed. Deleting the row is the removal: every check
    reads this table, so it takes effect on the member's next request, API tokens included.
    """

    Role = EnterpriseRole

    enterprise = models.ForeignKey(
        User,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="enterprise_members",
        limit_choices_to={"kind": UserKind.ENTERPRISE},
    )
    member = models.ForeignKey(
        User,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="enterprise_roles",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("enterprise member")
        verbose_name_plural = _("enterprise members")
        ordering = ["enterprise", "role", "added_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "member"], name="one_enterprise_role_per_member"
            ),
            # Company Law Art. 10: an enterprise has one legal representative at a time.
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(role="legal_representative"),
                name="one_legal_representative_per_enterprise",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=EnterpriseRole.values),
                name="enterprise_member_role_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(enterprise=models.F("member")),
                name="enterprise_is_not_its_own_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.member} · {self.get_role_display()}"


class EnterpriseInvitation(models.Model):
    """An invitation to act for an enterprise in a role, accepted by a logged-in account.

    Only the SHA-256 of the code is stored: the code is shown once to the administrator who
    invites, to be passed on as a link or read out.
    """

    enterprise = models.ForeignKey(
        User,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="enterprise_invitations",
    )
    role = models.CharField(_("role"), max_length=24, choices=EnterpriseRole.choices)
    code_hash = models.CharField(_("code (SHA-256)"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_by = models.ForeignKey(
        User,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("enterprise invitation")
        verbose_name_plural = _("enterprise invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=EnterpriseRole.values),
                name="enterprise_invitation_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_role_display()} · {self.created_at:%Y-%m-%d}"
