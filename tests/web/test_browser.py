"""The review web app in a real browser (Debian's Chromium through its chromedriver, no download):
a reviewer reviews three flags one by one and ten in bulk and reopens one, an approver signs the
month off, and a viewer sees the dispositions and the sign-off and no form. Screenshots of the
queue, a flag and the sign-off land in the test's tmp folder and in $COMPLIANCE_LOOK_DIR if set."""
from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from web_helpers import FLAG_COUNT, MONTH, PASSWORDS, flag_id
from support import skip_or_fail

from compliance.review.store import open_store

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture
def served(review_home):
    """The app on a free loopback port, served by uvicorn in a thread."""
    import uvicorn
    from servers import free_port

    from compliance.web.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(review_home), host="127.0.0.1", port=free_port(),
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def browser():
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.is_file():
            skip_or_fail(f"{binary} is not installed (apt package chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1100",
                     "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(15)
    yield driver
    driver.quit()


def screenshot(driver, tmp_path: Path, name: str) -> None:
    """A full-page PNG: the window is stretched to the page's height first."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(1100, height + 200))  # the window holds its frame too
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path)) and path.stat().st_size > 10_000
    if os.environ.get("COMPLIANCE_LOOK_DIR"):
        look = Path(os.environ["COMPLIANCE_LOOK_DIR"])
        look.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, look / path.name)
    driver.set_window_size(1280, 1100)


def follow(driver, element) -> None:
    """Click a link or a form's button and wait until the browser has left the page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 30).until(staleness_of(page))


def log_on(driver, base: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORDS[name])
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert f"{name} · " in driver.find_element(By.CSS_SELECTOR, "header .who").text


def log_off(driver) -> None:
    from selenium.webdriver.common.by import By

    follow(driver, driver.find_element(By.CSS_SELECTOR, "header form button"))
    assert driver.current_url.endswith("/login")


def test_review_sign_off_and_what_a_viewer_sees(served, browser, review_home, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, base = browser, served
    log_on(driver, base, "rita")
    follow(driver, driver.find_element(By.LINK_TEXT, MONTH))
    assert f"{FLAG_COUNT} flags match" in driver.find_element(By.CSS_SELECTOR, "p.count").text

    # Three flags one by one: the first from the queue, then each "next open flag".
    follow(driver, driver.find_element(By.LINK_TEXT, "ineligible_hold"))
    for disposition in ("confirmed", "data_error", "false_positive"):
        driver.find_element(By.CSS_SELECTOR, f"input[name=disposition][value={disposition}]").click()
        driver.find_element(By.ID, "note").send_keys(f"checked: {disposition}")
        follow(driver, driver.find_element(By.XPATH, "//button[text()='Record decision']"))
        assert driver.find_element(By.CSS_SELECTOR, "p.flash").text == f"Recorded: {disposition.replace('_', ' ')}."
        assert disposition.replace("_", " ") in driver.find_element(By.CSS_SELECTOR, "p.state").text
        if disposition == "false_positive":
            screenshot(driver, tmp_path, "flag")
        follow(driver, driver.find_element(By.LINK_TEXT, "next open flag"))

    # Ten in bulk: the first ten open flags of the queue, ticked.
    driver.get(f"{base}/months/{MONTH}")
    assert f"{FLAG_COUNT - 3} flags match" in driver.find_element(By.CSS_SELECTOR, "p.count").text
    boxes = driver.find_elements(By.CSS_SELECTOR, "input[name=flag_id]")
    bulk = [box.get_attribute("value") for box in boxes[:10]]
    for box in boxes[:10]:
        box.click()
    Select(driver.find_element(By.ID, "bulk-disposition")).select_by_value("confirmed")
    driver.find_element(By.ID, "bulk-note").send_keys("held without a qualifying conviction")
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Record for each flag']"))
    assert driver.find_element(By.CSS_SELECTOR, "p.flash").text == "10 flags: confirmed, by rita."
    assert "3 flags match" in driver.find_element(By.CSS_SELECTOR, "p.count").text

    # Reopen one of them, with the reason.
    driver.get(f"{base}/flags/{bulk[0]}")
    driver.find_element(By.ID, "reopen-note").send_keys("a second charge was found")
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Reopen']"))
    assert "back in the queue" in driver.find_element(By.CSS_SELECTOR, "p.flash").text
    history = driver.find_elements(By.CSS_SELECTOR, "table.history tbody tr")
    assert [row.find_elements(By.TAG_NAME, "td")[2].text for row in history] == ["confirmed", "reopened"]
    driver.get(f"{base}/months/{MONTH}?state=all")
    screenshot(driver, tmp_path, "queue")
    log_off(driver)

    log_on(driver, base, "abe")
    driver.get(f"{base}/months/{MONTH}/signoff")
    assert "12 of 16" in driver.find_element(By.CSS_SELECTOR, "p.lead").text
    driver.find_element(By.ID, "signoff-note").send_keys("four flags stay open for the next month")
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Sign off']"))
    assert "signed off by abe" in driver.find_element(By.CSS_SELECTOR, "p.flash").text
    screenshot(driver, tmp_path, "signoff")
    log_off(driver)

    log_on(driver, base, "vera")
    assert "signed off by abe" in driver.find_element(By.TAG_NAME, "table").text
    driver.get(f"{base}/months/{MONTH}?state=all")
    assert driver.find_elements(By.CSS_SELECTOR, "main form[method=post]") == []
    assert driver.find_elements(By.CSS_SELECTOR, "input[name=flag_id]") == []
    decisions = [cell.text.splitlines()[0] for cell in driver.find_elements(By.CSS_SELECTOR, "table.queue td:last-child")]
    assert sorted(decisions) == sorted(["confirmed", "data error", "false positive"] + ["confirmed"] * 9
                                       + ["open"] * 4)
    driver.get(f"{base}/flags/{flag_id(0)}")
    assert "Decision: confirmed by rita" in driver.find_element(By.CSS_SELECTOR, "p.state").text
    assert driver.find_elements(By.CSS_SELECTOR, "main form") == []
    driver.get(f"{base}/months/{MONTH}/signoff")
    assert "Signed off by abe" in driver.find_element(By.CSS_SELECTOR, "p.signed").text
    assert driver.find_elements(By.CSS_SELECTOR, "main form") == []

    with open_store(review_home) as store:
        latest = store.latest(MONTH)
    assert sum(d.action == "review" for d in latest.values()) == 12 and latest[bulk[0]].action == "reopen"
