"""Model fields for personal identifiers: encrypted columns and the blind indexes beside them."""

from django import forms
from django.core import validators
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from . import crypto


def _refuse(field: models.Field, lookup: str) -> FieldError:
    return FieldError(
        f"{field.model.__name__}.{field.name} is encrypted: the database cannot compare it "
        f"({lookup!r}). Only isnull and equality with '' work; look a value up through its "
        "blind index instead, e.g. User.objects.with_resident_id(number)."
    )


class EncryptedExact(Exact):
    """`field=""` and `field=None` still work: an empty value is stored as is, not encrypted."""

    def get_prep_lookup(self):
        if self.rhs is not None and self.rhs != "":
            raise _refuse(self.lhs.output_field, "exact")
        return super().get_prep_lookup()


class EncryptedTextField(models.Field):
    """Text kept in the database only as a Fernet token (see accounts/crypto.py).

    The model instance holds the plaintext: validators, forms and templates see the real value;
    the token is made when the value is written and opened when it is read. Tokens are random,
    so the column can be neither searched nor constrained: uniqueness and look-ups go through
    a BlindIndexField. `max_length` limits the plaintext, not the column.

    An empty value is stored as "" so that "has this person given a mobile number?" stays a
    plain query; that an identifier is missing is not itself a secret.
    """

    description = _("Encrypted text")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def get_internal_type(self) -> str:
        return "TextField"

    def to_python(self, value):
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, where=f"A value of {self.model._meta.db_table}.{self.column}")

    def get_prep_value(self, value):
        value = self.to_python(super().get_prep_value(value))
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return EncryptedExact
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise _refuse(self, lookup_name)

    def get_transform(self, lookup_name):
        raise _refuse(self, lookup_name)

    def formfield(self, **kwargs):
        defaults = {"max_length": self.max_length}
        if self.null:
            defaults["empty_value"] = None
        defaults.update(kwargs)
        return super().formfield(form_class=forms.CharField, **defaults)


class BlindIndexField(models.CharField):
    """HMAC-SHA256 (hex) of another field's plaintext, computed whenever the row is saved.

    This is the column that equality look-ups and unique constraints use in place of the
    encrypted one; see crypto.blind_index().
    """

    description = _("Blind index")

    def __init__(self, *args, source: str, kind: str, **kwargs):
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def index_for(self, instance: models.Model) -> str:
        return crypto.blind_index(self.kind, getattr(instance, self.source))

    def pre_save(self, model_instance, add):
        value = self.index_for(model_instance)
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def blind_index_fields(model: type[models.Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
