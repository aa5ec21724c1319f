"""System checks of the instruments: keys that parse, and the fonts Typst needs for Chinese."""

from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .rendering import cjk_fonts_found
from .signing import parse_root_key, seal_keys

DEMO_KEY_IDS = {"demo-seal", "demo-root"}


@register(Tags.security)
def instrument_keys_are_usable(app_configs, **kwargs):
    from django.conf import settings

    try:
        seal_keys()
        parse_root_key(settings.INSTRUMENT_ROOT_KEY)
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint="See 'Instrument seals' in docs/instruments.md to generate keys.",
                id="instruments.E001",
            )
        ]
    return []


@register()
def cjk_fonts_are_installed(app_configs, **kwargs):
    if cjk_fonts_found():
        return []
    return [
        Warning(
            "Typst finds no Noto Serif CJK SC / Noto Sans CJK SC in INSTRUMENT_FONT_DIRS: "
            "written instruments cannot be generated.",
            hint="Install Debian's fonts-noto-cjk (make fonts), or set INSTRUMENT_FONT_DIRS.",
            id="instruments.W002",
        )
    ]


@register(Tags.security, deploy=True)
def demo_instrument_keys_are_not_deployed(app_configs, **kwargs):
    from django.conf import settings

    try:
        key_ids = {key.key_id for key in seal_keys()}
        key_ids.add(parse_root_key(settings.INSTRUMENT_ROOT_KEY)[0])
    except ImproperlyConfigured:
        return []  # Reported by instruments.E001.
    if key_ids & DEMO_KEY_IDS:
        return [
            Warning(
                "INSTRUMENT_SIGNING_KEYS or INSTRUMENT_ROOT_KEY holds a demo key, whose private "
                "half is published.",
                hint="Generate keys of your own (docs/instruments.md).",
                id="instruments.W001",
            )
        ]
    return []
