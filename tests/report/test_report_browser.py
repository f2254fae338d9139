"""Open the report from disk (file://) in a real headless Chromium (selenium + chromedriver).

Chromium and chromedriver are Debian packages (`make browser-deps`, which `make test` runs);
missing, they make this test FAIL, never skip. The screenshots are kept as test artefacts under
reports/test-artifacts/ (their paths are printed).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agglo import paths

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
]


@pytest.fixture(scope="module")
def artifacts() -> Path:
    out = paths.repo_root() / "reports" / "test-artifacts"
    out.mkdir(parents=True, exist_ok=True)
    return out


def require_binaries(*binaries: Path) -> None:
    """Fail (not skip) with the install hint when Chromium or chromedriver is missing."""
    for binary in binaries:
        if not binary.exists():
            pytest.fail(
                f"{binary} is missing: install Chromium with `make browser-deps` "
                "(Debian packages chromium, chromium-driver)",
                pytrace=False,
            )


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    require_binaries(CHROMIUM, CHROMEDRIVER)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def opened(browser, report_dir):
    browser.get((report_dir / "index.html").as_uri())
    browser.execute_script(
        "return Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)))"
    )
    return browser


def _variance(png: bytes) -> float:
    with Image.open(io.BytesIO(png)) as im:
        return float(np.asarray(im.convert("L"), dtype=float).std())


def test_no_console_errors(opened):
    severe = [e for e in opened.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe


def test_every_figure_rendered(opened, report_dir, artifacts):
    images = opened.execute_script(
        "return Array.from(document.images).map(i => ({src: i.getAttribute('src'), "
        "complete: i.complete, w: i.naturalWidth, h: i.naturalHeight}))"
    )
    assert len(images) == 13
    for info in images:
        with Image.open(report_dir / info["src"]) as png:
            expected = png.size
        assert info["complete"], info
        assert (info["w"], info["h"]) == expected, info
    # What the browser drew is not blank either.
    from selenium.webdriver.common.by import By

    for element in opened.find_elements(By.TAG_NAME, "img"):
        opened.execute_script("arguments[0].scrollIntoView()", element)
        shot = element.screenshot_as_png
        assert _variance(shot) > 5, element.get_attribute("src")
        if element.get_attribute("src").endswith("scatter-T1.png"):
            path = artifacts / "figure-lq-innovation.png"
            path.write_bytes(shot)
            print(f"screenshot: {path}")


def test_first_screen_screenshot(opened, artifacts):
    opened.execute_script("window.scrollTo(0, 0)")
    path = artifacts / "report-first-screen.png"
    opened.save_screenshot(str(path))
    print(f"screenshot: {path}")
    with Image.open(path) as im:
        assert im.size[0] >= 1000
    assert _variance(path.read_bytes()) > 5
    assert "Simulated data" in opened.find_element("id", "simulated-note").text


def test_tables_visible(opened):
    for n in range(1, 9):
        grid = opened.find_element("id", f"table-{n}-grid")
        assert grid.size["width"] > 300 and grid.size["height"] > 100


def test_missing_chromium_fails_not_skips(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="make browser-deps"):
        require_binaries(tmp_path / "chromium")
