"""The review page in a real browser: Debian's chromium + chromium-driver, driven by selenium.

A reviewer opens the sample's report, rejects an edit and accepts a proposal by click, undoes,
does the same by keyboard (plus a corrected text), downloads NAME.decisions.json, runs
`cleanup apply`, and the Markdown says exactly that. A transcript full of HTML/JS must not run
anything. Skipped (with the reason) where chromium, its driver or selenium is missing; nothing
is ever downloaded by the test tooling (selenium gets explicit binaries and SE_OFFLINE).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cleanup import outputs, pipeline
from cleanup.context import Context, default_glossary_paths
from cleanup.document import Change, Source, replay

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path("/tmp/cleanup-review-sample.png")
CLI = [str(Path(sys.executable).parent / "cleanup")]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists() or not DRIVER.exists():
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # selenium must never fetch a driver or browser
    downloads = tmp_path_factory.mktemp("downloads")
    profile = tempfile.mkdtemp(prefix="cleanup-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def cleanup(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + list(args), capture_output=True, text=True)


@pytest.fixture(scope="module")
def sample_outputs(tmp_path_factory, sample_path):
    """The sample cleaned as `cleanup run` does, plus one proposal if the stages made none."""
    out = tmp_path_factory.mktemp("review")
    stem = "zhiyuan2024-genmodel-p6-roundtable"
    doc = pipeline.run(Source.read(sample_path), Context(default_glossary_paths(stem), talk=stem))
    if not doc.proposals:
        text = doc.text
        i = text.index("coverage")
        assert doc.is_original(i, i + len("coverage"))
        doc.apply("spelling", [Change(i, i + 8, "覆盖面", rule="spelling:test", confidence=0.5, applied=False)])
    outputs.write_atomic(outputs.render_all(doc, stem), out)
    return out, stem, doc


def show(driver, element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    return element


def press(driver, keys: str):
    from selenium.webdriver.common.action_chains import ActionChains

    for key in keys:
        ActionChains(driver).send_keys(key).perform()


def counts(driver) -> tuple[int, int]:
    return int(driver.find_element("id", "c-decided").text), int(driver.find_element("id", "c-undecided").text)


def classes(driver, edit_id: str) -> set[str]:
    return set(driver.find_element("id", f"e-{edit_id}").get_attribute("class").split())


def wait_for_download(folder: Path, name: str, timeout: float = 10) -> Path:
    target = folder / name
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.exists() and not list(folder.glob("*.crdownload")):
            return target
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded to {folder}: {list(folder.iterdir())}")


def test_review_the_sample_by_click_and_keyboard_then_apply(browser, sample_outputs):
    from selenium.webdriver.support.ui import Select

    out, stem, doc = sample_outputs
    glossary_edits = [e for e in doc.edits if e.stage == "glossary" and e.applied]
    rejected, corrected = glossary_edits[0], glossary_edits[1]
    proposal = next(e for e in doc.edits if not e.applied)  # the first in the text
    browser.get((out / f"{stem}.report.html").as_uri())
    assert browser.execute_script("return typeof window.cleanupReview") == "object"
    assert counts(browser) == (0, len(doc.edits))

    # by click: the change in the text, then Reject in the panel; a proposal's accept button
    show(browser, browser.find_element("id", f"e-{rejected.id}")).click()
    assert browser.find_element("id", "p-id").text == rejected.id
    browser.find_element("css selector", "#panel [data-act=reject]").click()
    assert "rej" in classes(browser, rejected.id) and "off" in classes(browser, rejected.id)
    show(browser, browser.find_element("css selector", f'tr[data-id="{proposal.id}"] [data-act=accept]')).click()
    assert {"acc", "on"} <= classes(browser, proposal.id)
    assert counts(browser) == (2, len(doc.edits) - 2)

    # undo both by keyboard, then decide again by keyboard only
    press(browser, "uu")
    assert counts(browser) == (0, len(doc.edits))
    assert "rej" not in classes(browser, rejected.id) and "on" in classes(browser, rejected.id)
    for box in browser.find_elements("css selector", "#stage-filter input"):
        if box.get_attribute("data-stage") != "glossary":
            show(browser, box).click()
    order = browser.execute_script(
        "return Array.from(document.querySelectorAll('#text .e:not(.dim)')).map(e => e.dataset.id)"
    )
    assert order[:2] == [rejected.id, corrected.id]
    assert browser.find_element("id", "p-id").text == rejected.id  # undo went back to it
    press(browser, "j")
    assert browser.find_element("id", "p-id").text == corrected.id
    press(browser, "k")
    assert browser.find_element("id", "p-id").text == rejected.id
    press(browser, "r")  # rejects and moves on to the next glossary edit
    assert browser.find_element("id", "p-id").text == corrected.id
    press(browser, "e")
    field = browser.switch_to.active_element
    assert field.get_attribute("id") == "p-text"
    field.clear()
    field.send_keys("审阅改过\n")
    assert browser.find_element("css selector", f"#e-{corrected.id} ins").text == "审阅改过"
    for box in browser.find_elements("css selector", "#stage-filter input"):
        if not box.is_selected():
            show(browser, box).click()
    Select(browser.find_element("id", "f-status")).select_by_value("proposals")
    press(browser, "g")  # the first proposal
    assert browser.find_element("id", "p-id").text == proposal.id
    press(browser, "a")
    assert counts(browser) == (3, len(doc.edits) - 3)
    Select(browser.find_element("id", "f-status")).select_by_value("all")
    assert browser.find_element("id", "c-shown").text == str(len(doc.edits))
    show(browser, browser.find_element("id", f"e-{proposal.id}")).click()
    browser.save_screenshot(str(SCREENSHOT))

    # download by keyboard (the exported JSON is also on the page), then cleanup apply
    press(browser, "d")
    downloaded = wait_for_download(browser.downloads, f"{stem}.decisions.json")
    data = json.loads(downloaded.read_text(encoding="utf-8"))
    assert data["source_sha256"] == doc.source.sha256
    assert [(d["id"], d["verdict"], d.get("text")) for d in data["decisions"]] == sorted(
        [(rejected.id, "reject", None), (corrected.id, "accept", "审阅改过"), (proposal.id, "accept", None)],
        key=lambda d: [e.id for e in doc.edits].index(d[0]),
    )
    assert json.loads(browser.find_element("id", "export-text").get_attribute("value")) == data
    browser.find_element("id", "copy").click()
    time.sleep(0.2)
    assert (
        "copied 3 decisions" in browser.find_element("id", "msg").text
        or "copy" in browser.find_element("id", "msg").text
    )

    result = cleanup("apply", str(out / f"{stem}.edits.json"), "--decisions", str(downloaded))
    assert result.returncode == 0, result.stderr
    expected_edits = []
    for e in doc.edits:
        if e.id == rejected.id:
            e = e.__class__(**{**e.to_json(), "applied": False})
        elif e.id == corrected.id:
            e = e.__class__(**{**e.to_json(), "after": "审阅改过"})
        elif e.id == proposal.id:
            e = e.__class__(**{**e.to_json(), "applied": True})
        expected_edits.append(e)
    md = (out / f"{stem}.md").read_text(encoding="utf-8")
    assert md == replay(doc.source.text, sorted(expected_edits, key=lambda e: (e.start, e.end > e.start)))
    assert md.count("审阅改过") == 1 and proposal.after in md

    # the re-rendered report knows the new state
    browser.get((out / f"{stem}.report.html").as_uri())
    assert "off" in classes(browser, rejected.id) and "on" in classes(browser, proposal.id)


def test_markup_in_a_transcript_runs_nothing(browser, tmp_path):
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(
        "# 标题 <script>window.pwned = 1</script>\n\n"
        '主持人好 <img src=x onerror="window.pwned = 2"> 我们讨论 </script><script>window.pwned = 3</script>'
        ' 还有 <svg onload="window.pwned = 4"></svg> 和 [链接](javascript:window.pwned=5) 以及'
        ' <iframe src="javascript:parent.pwned=6"></iframe> 最大自然估计。\n',
        encoding="utf-8",
    )
    result = cleanup("run", str(hostile), "--out-dir", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr
    browser.get((tmp_path / "out" / "hostile.report.html").as_uri())
    time.sleep(0.3)
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.execute_script("return typeof window.cleanupReview") == "object"  # the page's own script ran
    for tag in ("img", "svg", "iframe"):
        assert browser.find_elements("css selector", f"#text {tag}") == []
    text = browser.find_element("id", "text").text
    assert "<script>window.pwned = 1</script>" in text and "onerror" in text
    # the page still works: accept everything high-confidence (click; A is the key)
    browser.find_element("id", "accept-high").click()
    assert int(browser.find_element("id", "c-decided").text) > 0
    assert browser.execute_script("return window.pwned === undefined")
