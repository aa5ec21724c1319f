"""Real-browser fixtures: Debian's Chromium driven by Playwright, axe-core, and screenshots.

Playwright's own browser download cannot run here, so the tests launch the system Chromium
(`make test` and .ci/run install it from apt when it is missing). axe-core comes from npm
(package.json; `make test` runs `npm ci` when node_modules is missing).

Screenshots for the README are written to docs/screenshots/ only when UPDATE_SCREENSHOTS=1,
so that an ordinary run (and CI) never changes the tree.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
UPDATE_SCREENSHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# The README shows the top of long pages; a full page of a timeline is too tall to read.
SCREENSHOT_MAX_HEIGHT = 1600

# axe-core's impact levels we refuse; "moderate" and "minor" findings are reported, not fatal.
BLOCKING_IMPACTS = {"serious", "critical"}


def chinese_font_installed() -> bool:
    """Whether fontconfig knows a font for Chinese; without one the pages show empty boxes."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True)
    except FileNotFoundError:
        return False
    return bool(found.stdout.strip())


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module.

    Playwright's synchronous API keeps an asyncio loop running in this thread while it is
    started, which makes Django refuse ORM calls from the test ("async context"). The tests
    only read the database between browser steps, in this one thread, so Django's guard is
    lifted for exactly as long as Playwright runs, and put back afterwards: the rest of the
    suite, collected after this module, keeps it.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: `apt-get install chromium` "
            "(make test does it), or set CHROMIUM_PATH."
        )
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does it).")

    if UPDATE_SCREENSHOTS and not chinese_font_installed():
        pytest.fail("Screenshots of Chinese pages need a CJK font: apt-get install fonts-noto-cjk")

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            # Containers and CI machines have a small /dev/shm; Chromium then crashes tabs.
            args=["--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser, live_server):
    """Opens browser contexts (one per person: separate cookies) on the live server."""
    contexts = []

    def open_context(locale: str = "en-US", **options):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,  # sets Accept-Language, as a reader's browser would
            viewport=options.pop("viewport", DESKTOP),
            **options,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core findings on the page as it is now.

    The script goes in through the DevTools protocol (page.evaluate), which the portal's
    Content-Security-Policy (no inline scripts) does not apply to, so the policy under test
    stays as strict as in production.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in results if v["impact"] in BLOCKING_IMPACTS]


def structure_problems(page) -> list[str]:
    """Landmarks and headings that axe-core does not insist on: one banner, one main, one
    contentinfo, a navigation, and exactly one h1."""
    counts = page.evaluate(
        """() => ({
            h1: document.querySelectorAll("h1").length,
            banner: document.querySelectorAll("body > header, [role=banner]").length,
            main: document.querySelectorAll("main, [role=main]").length,
            contentinfo: document.querySelectorAll("body > footer, [role=contentinfo]").length,
            nav: document.querySelectorAll("nav, [role=navigation]").length,
            lang: document.documentElement.lang,
            title: document.title,
        })"""
    )
    problems = []
    for landmark in ("h1", "banner", "main", "contentinfo"):
        if counts[landmark] != 1:
            problems.append(f"{counts[landmark]} {landmark} (expected exactly 1)")
    if counts["nav"] < 1:
        problems.append("no navigation landmark")
    if not counts["lang"]:
        problems.append("no lang on <html>")
    if not counts["title"].strip(" ·"):
        problems.append("empty <title>")
    return problems


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing sticks out)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def screenshot(page, name: str) -> None:
    height = page.evaluate("() => document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    page.screenshot(
        path=SCREENSHOTS / f"{name}.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": min(height, SCREENSHOT_MAX_HEIGHT)},
    )


def check_page(page, name: str, *, shot: str | None = None) -> None:
    """The accessibility and small-screen checks every key page passes, in the page's state now.

    axe-core (WCAG 2.x A/AA and best practices: labels, contrast, names, ARIA, lang…), our
    landmark and heading rules, and no horizontal scrolling at 360 px. With UPDATE_SCREENSHOTS=1,
    `shot` names the desktop (`shot`.png) and phone (`shot`-phone.png) screenshots taken here.
    """
    problems = structure_problems(page)
    assert not problems, f"{name} ({page.url}): {problems}"
    violations = axe_violations(page)
    assert not violations, f"{name} ({page.url}): axe-core found\n" + json.dumps(
        violations, indent=2, ensure_ascii=False
    )
    if UPDATE_SCREENSHOTS and shot:
        screenshot(page, shot)
    viewport = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        overflow = horizontal_overflow(page)
        assert overflow <= 0, f"{name} ({page.url}) is {overflow}px too wide for a 360px phone"
        if UPDATE_SCREENSHOTS and shot:
            screenshot(page, f"{shot}-phone")
    finally:
        page.set_viewport_size(viewport)
