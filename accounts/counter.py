"""Accounts opened at the service-centre counter for citizens who file in person, and claimed later.

A citizen who comes to the counter without an account gets one opened from their ID number and
name: it has no password, so nobody can log in to it. To use it online the citizen claims it
with their ID number and the one-time claim code printed on their receipt. The ID number alone
is not enough: it is written on many documents, and whoever claims the account sees the
citizen's cases. The code is stored hashed and works once.
"""

import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .audit import record
from .identity import normalize_identifier, validate_mobile, validate_resident_id
from .models import User
from .permissions import is_civil_servant

# Without 0/O and 1/I/L, so a code read from a printed receipt is typed right.
CLAIM_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLAIM_CODE_LENGTH = 10


def is_service_centre_staff(user: User) -> bool:
    """Who may file at the counter on a citizen's behalf: a member of a service centre."""
    return (
        is_civil_servant(user)
        and user.memberships.filter(department__is_service_centre=True).exists()
    )


def is_unclaimed(user: User) -> bool:
    return bool(user.claim_code) and not user.has_usable_password()


def new_claim_code() -> str:
    return "".join(secrets.choice(CLAIM_CODE_ALPHABET) for _ in range(CLAIM_CODE_LENGTH))


def citizen_at_counter(
    resident_id: str, real_name: str, clerk: User, *, mobile: str = ""
) -> tuple[User, str]:
    """The citizen present at the counter, found by their ID number or given a new account.

    Returns the account and, for an account not yet claimed, a new claim code (shown once,
    for the receipt; it replaces any earlier one); "" for an account in use. The name must match the one on record: a typo in the
    ID number must not file a case in someone else's name.
    """
    resident_id = normalize_identifier(resident_id)
    validate_resident_id(resident_id)
    real_name = real_name.strip()
    if not real_name:
        raise ValidationError({"real_name": _("Enter the citizen's name as on the ID card.")})
    if mobile:
        validate_mobile(mobile)
    existing = User.objects.with_resident_id(resident_id).first()
    if existing is not None:
        if existing.kind != User.Kind.CITIZEN or not existing.is_active:
            raise ValidationError(_("This ID number belongs to an account that cannot file here."))
        if existing.real_name and existing.real_name != real_name:
            raise ValidationError(
                {
                    "real_name": _(
                        "The name does not match the account registered with this ID number."
                    )
                }
            )
        if is_unclaimed(existing):
            # The person is at the counter with their ID card: a new code replaces a lost one.
            code = new_claim_code()
            existing.claim_code = make_password(code)
            existing.save(update_fields=["claim_code"])
            record("account.claim_code_reissued", obj=existing, actor=clerk, detail={})
            return existing, code
        return existing, ""
    code = new_claim_code()
    citizen = User(
        username=f"counter-{secrets.token_hex(6)}",
        kind=User.Kind.CITIZEN,
        real_name=real_name,
        resident_id=resident_id,
        mobile=mobile,
        claim_code=make_password(code),
    )
    citizen.set_unusable_password()
    try:
        with transaction.atomic():
            citizen.save()
    except IntegrityError:
        # Two counters opening the same person's account at once: one wins, both file for it.
        return User.objects.with_resident_id(resident_id).get(), ""
    record("account.opened_at_counter", obj=citizen, actor=clerk, detail={"kind": "citizen"})
    return citizen, code


@transaction.atomic
def claim_account(
    resident_id: str, claim_code: str, *, username: str, password: str, email: str
) -> User:
    """The citizen takes over the account opened for them at the counter."""
    resident_id = normalize_identifier(resident_id)
    citizen = User.objects.select_for_update().with_resident_id(resident_id).first()
    code = (claim_code or "").strip().upper().replace(" ", "").replace("-", "")
    # One message for every failure: the page must not tell whether an ID number has an account.
    refused = ValidationError(_("The ID number and claim code do not match an account to claim."))
    if citizen is None or not is_unclaimed(citizen) or not check_password(code, citizen.claim_code):
        raise refused
    if User.objects.filter(username__iexact=username).exclude(pk=citizen.pk).exists():
        raise ValidationError({"username": _("A user with that username already exists.")})
    citizen.username = username
    citizen.email = email
    citizen.set_password(password)
    citizen.claim_code = ""
    citizen.save(update_fields=["username", "email", "password", "claim_code"])
    record("account.claimed", obj=citizen, actor=citizen, detail={})
    return citizen
