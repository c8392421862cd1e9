"""The worker web chat in a real browser (Debian's Chromium driven by Playwright), against the real
Rasa and action servers: greeting, a question without diacritics, and a button."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from cli.stack import StackSettings, free_port
from web.app import create_app
from web.settings import WebSettings

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="module")
def web_url(stack: StackSettings) -> Iterator[str]:
    port = free_port()
    settings = WebSettings(host="127.0.0.1", port=port, rasa_url=stack.rasa_url,
                           rasa_token=stack.rasa_token, db_path=stack.db_path)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@contextmanager
def chat_page(web_url: str) -> Iterator[Any]:
    """The web chat at phone size in headless Chromium, once the welcome message is shown."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 412, "height": 915})
        page.goto(f"{web_url}/chat")
        page.wait_for_selector(".msg.bot:not(.thinking)")
        try:
            yield page
        finally:
            browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test does)")
def test_worker_chats_in_the_browser(web_url: str) -> None:
    with chat_page(web_url) as page:
        assert "Xin chào" in page.inner_text("#log")

        page.fill("#message", "cty co duoc thu tien moi gioi cua nguoi lao dong ko")
        page.press("#message", "Enter")
        page.wait_for_function("document.querySelectorAll('.msg.bot:not(.thinking)').length >= 2")
        answer = page.locator(".msg.bot").nth(1).inner_text()
        assert "môi giới" in answer and "Nguồn" in answer

        # The answer's own next step (the welcome menu has a button of the same name above it).
        complain = page.get_by_role("button", name="Gửi khiếu nại")
        assert complain.count() == 2
        complain.last.click()
        page.wait_for_function("document.body.innerText.includes('Chuyện gì đã xảy ra')")
        assert page.get_by_role("button", name="3. Không trả hoặc nợ lương").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "web_chat_vi.png"), full_page=True)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test does)")
def test_a_hotline_reminder_inside_a_form_is_one_tap_from_help(web_url: str) -> None:
    with chat_page(web_url) as page:
        page.fill("#message", "kiểm tra giấy phép công ty")
        page.press("#message", "Enter")
        page.wait_for_function("document.querySelectorAll('.msg.bot:not(.thinking)').length >= 2")
        # "Cứu Nạn" (rescue) in a name: a weak emergency signal, the check goes on with a reminder
        page.fill("#message", "Công ty TNHH Cứu Nạn Việt")
        page.press("#message", "Enter")
        page.wait_for_function("document.body.innerText.includes('Cứu Nạn Việt\"')")
        help_now = page.get_by_role("button", name="Tôi cần giúp ngay")
        assert help_now.is_visible()
        assert "+84 981 84 84 84" in page.inner_text("#log")
        page.screenshot(path=str(SCREENSHOTS / "web_chat_reminder.png"), full_page=True)
        help_now.click()
        page.wait_for_function("/HT-\\d{4}-\\d{6}/.test(document.body.innerText)")
