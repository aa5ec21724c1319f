"""The application form, generated from an item definition (live for drafts, frozen once submitted)."""

import datetime
import decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.bilingual import in_reader_language, text_in_reader_language

from .definitions import FieldDefinition, ItemDefinition
from .materials import sniff_material

MATERIAL_PREFIX = "material__"


def _answer_field(spec: FieldDefinition, *, require_complete: bool) -> forms.Field:
    field = _answer_field_of_kind(spec, require_complete=require_complete)
    # Drafts accept gaps, but the page still marks what submission will require.
    field.required_on_submit = spec.is_required
    return field


def _answer_field_of_kind(spec: FieldDefinition, *, require_complete: bool) -> forms.Field:
    common = {
        "label": in_reader_language(spec.label, spec.label_en),
        "help_text": in_reader_language(spec.help_text, spec.help_text_en),
        "required": spec.is_required and require_complete,
    }
    kind = spec.kind
    if kind in {"text", "long_text"}:
        validators = []
        if spec.pattern:
            validators.append(
                RegexValidator(
                    f"^(?:{spec.pattern})$",
                    message=spec.pattern_message or _("Enter a value in the required format."),
                )
            )
        widget = forms.Textarea(attrs={"rows": 4}) if kind == "long_text" else forms.TextInput
        return forms.CharField(
            min_length=spec.min_length,
            max_length=spec.max_length or (5000 if kind == "long_text" else 255),
            validators=validators,
            widget=widget,
            **common,
        )
    if kind == "number":
        return forms.DecimalField(max_digits=18, decimal_places=4, **common)
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "choice":
        # The stored answer is the choice itself; English readers see its English wording.
        english = spec.choices_en if len(spec.choices_en) == len(spec.choices) else ()
        shown = [
            text_in_reader_language(c, e) for c, e in zip(spec.choices, english, strict=False)
        ] or list(spec.choices)
        choices = [("", "—"), *zip(spec.choices, shown, strict=True)]
        return forms.ChoiceField(choices=choices, **common)
    if kind == "yes_no":
        choices = [("", "—"), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]
        return forms.TypedChoiceField(
            choices=choices, coerce=lambda v: v == "yes", empty_value=None, **common
        )
    raise ValueError(f"Unknown field kind {kind!r}")


def answer_to_json(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    return value


def answer_to_initial(spec: FieldDefinition, value):
    if value is None:
        return None
    if spec.kind == "yes_no":
        return "yes" if value else "no"
    return value


class MaterialField(forms.FileField):
    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload is not initial:
            upload.sniffed_type = sniff_material(upload)
        return upload


class ApplicationForm(forms.Form):
    """Answers and materials of one application.

    `require_complete` is False when saving a draft (formats are checked, gaps allowed) and
    True on submission. `present_materials` are material codes that already have a file.
    """

    def __init__(
        self,
        definition: ItemDefinition,
        *args,
        require_complete: bool = False,
        present_materials=(),
        **kwargs,
    ):
        self.definition = definition
        answers = kwargs.pop("answers", {}) or {}
        super().__init__(*args, **kwargs)
        for spec in definition.fields:
            self.fields[spec.name] = _answer_field(spec, require_complete=require_complete)
            self.initial.setdefault(spec.name, answer_to_initial(spec, answers.get(spec.name)))
        for material in definition.materials:
            needs_file = (
                material.is_required and require_complete and material.code not in present_materials
            )
            field = self.fields[MATERIAL_PREFIX + material.code] = MaterialField(
                label=in_reader_language(material.name, material.name_en),
                help_text=in_reader_language(material.description, material.description_en),
                required=needs_file,
                widget=forms.ClearableFileInput(
                    attrs={"accept": "application/pdf,image/jpeg,image/png"}
                ),
                error_messages={"required": _("Attach this material before you submit.")},
            )
            field.required_on_submit = material.is_required

    @property
    def answer_fields(self):
        return [self[spec.name] for spec in self.definition.fields]

    @property
    def material_fields(self):
        return [self[MATERIAL_PREFIX + m.code] for m in self.definition.materials]

    def answers(self) -> dict:
        """Every answer on the form; a field the applicant emptied is None, so saving clears it."""
        return {
            spec.name: answer_to_json(self.cleaned_data.get(spec.name))
            for spec in self.definition.fields
        }

    def uploads(self) -> dict:
        return {
            name.removeprefix(MATERIAL_PREFIX): upload
            for name, upload in self.cleaned_data.items()
            if name.startswith(MATERIAL_PREFIX) and upload
        }

    def valid_answers(self) -> dict:
        """The answers that passed their checks, when others did not: a draft keeps them.

        A field with an error is left out (not emptied), so what was saved before stays.
        Call after is_valid().
        """
        return {
            spec.name: answer_to_json(self.cleaned_data.get(spec.name))
            for spec in self.definition.fields
            if spec.name not in self.errors
        }

    def valid_uploads(self) -> dict:
        return {
            code: upload
            for code, upload in self.uploads().items()
            if MATERIAL_PREFIX + code not in self.errors
        }
