"""PDF rendering with Typst: A4, embedded subsets of the Noto CJK fonts, tagged for screen
readers, with a QR code to the verification page.

Why Typst and not WeasyPrint (docs/instruments.md): a page renders in a few milliseconds
(WeasyPrint needs Pango and takes seconds to subset a CJK font with fontTools), it installs
from PyPI with nothing else but the fonts, and it tags its PDFs by default.

One compiler per process keeps the fonts loaded; a lock makes it safe for threads (Celery's
solo worker of the tests shares the process with the test itself).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import qrcode
import qrcode.image.svg
import typst
from django.conf import settings

LAYOUT = Path(__file__).resolve().parent / "typst"
A4_HEIGHT_PT = 841.89
SEAL_SIZE_PT = 4.2 / 2.54 * 72  # the seal is 4.2 cm across (instruments/typst/seal.typ)


class FontsMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    seal_page: int  # 0-based
    seal_box: tuple[float, float, float, float]  # PDF user space: x1, y1, x2, y2


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _compiler(name: str, fonts: tuple[str, ...]) -> typst.Compiler:
    return typst.Compiler(str(LAYOUT / name), font_paths=list(fonts), ignore_system_fonts=True)


def _compile(name: str, data: dict, **inputs: str) -> tuple[bytes, typst.Compiler]:
    compiler = _compiler(name, tuple(settings.INSTRUMENT_FONT_DIRS))
    pdf, warnings = compiler.compile_with_warnings(
        sys_inputs={"data": json.dumps(data, ensure_ascii=False), **inputs}
    )
    # Typst falls back to a Latin font when a font is missing, which would print empty boxes
    # in place of Chinese: refuse that rather than issue an unreadable instrument.
    missing = [str(w) for w in warnings or [] if "font" in str(w).lower()]
    if missing:
        raise FontsMissing("; ".join(missing))
    return pdf, compiler


def qr_svg(url: str) -> str:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
    code.add_data(url)
    code.make(fit=True)
    output = BytesIO()
    code.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(output)
    return output.getvalue().decode("utf-8")


def _points(length: str) -> float:
    assert length.endswith("pt"), length
    return float(length[:-2])


def render_instrument(data: dict) -> Rendered:
    """The unsigned PDF of an instrument, and where its seal goes (by its closing lines)."""
    with _lock:
        pdf, compiler = _compile("instrument.typ", data, qr=qr_svg(data["verify_url"]))
        anchor = json.loads(compiler.query("<seal>", field="value", one=True))
    x, y = _points(anchor["x"]), _points(anchor["y"])
    # The anchor is the top left of the closing lines (issuer, date), Typst measuring from the
    # top of the page; the seal covers them, as a stamped seal covers the date (GB/T 9704).
    left, top = x + 1.4 * 28.35, y - 1.2 * 28.35
    box = (left, A4_HEIGHT_PT - top - SEAL_SIZE_PT, left + SEAL_SIZE_PT, A4_HEIGHT_PT - top)
    return Rendered(pdf=pdf, seal_page=anchor["page"] - 1, seal_box=box)


@lru_cache(maxsize=128)
def render_seal(name: str, purpose: str) -> bytes:
    """The seal's picture: a one-page PDF the signature shows (instruments/signing.py)."""
    with _lock:
        pdf, _compiler_used = _compile_seal(name, purpose)
    return pdf


def _compile_seal(name: str, purpose: str):
    compiler = typst.Compiler(
        str(LAYOUT / "seal.typ"),
        font_paths=list(settings.INSTRUMENT_FONT_DIRS),
        ignore_system_fonts=True,
        sys_inputs={"data": json.dumps({"name": name, "purpose": purpose}, ensure_ascii=False)},
    )
    return compiler.compile(), compiler


def cjk_fonts_found() -> bool:
    """Whether Typst finds the Noto CJK fonts the layout names (a system check asks)."""
    fonts = typst.Fonts(
        include_system_fonts=False,
        include_embedded_fonts=False,
        font_paths=list(settings.INSTRUMENT_FONT_DIRS),
    )
    return {"Noto Serif CJK SC", "Noto Sans CJK SC"} <= set(fonts.families())
