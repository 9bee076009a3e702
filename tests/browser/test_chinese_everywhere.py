"""In 简体中文 no English is left: every page, its dialogs and states, and every message the
page hands its scripts are translated (names, ids, code and data excepted)."""

import json
import re

import pytest

from tests.browser.conftest import login, shot
from tests.browser.test_editor import api

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z]{3,}")
# Names that stay as they are in Chinese: the product, other products, technical words.
KEEP = {
    "Funcpad",
    "English",
    "DataKit",
    "DataFlux",
    "Func",
    "UTC",
    "URL",
    "JSON",
    "API",
    "Python",
    "Bearer",
    "Authorization",
    "token",
    "OpenAPI",
    "CSRF",
    "IANA",
    "PostgreSQL",
    "SQLite",
    "bubblewrap",
    "seccomp",
    "pasta",
    "Ctrl",
    "Enter",
    "Shift",
    "admin",
    "MiB",
    "KiB",
    "GiB",
}
PAGES_WITHOUT_IDS = [
    "/scripts",
    "/env-vars",
    "/connectors",
    "/packages",
    "/explore/metrics",
    "/logs",
    "/crontab",
    "/crontab/new",
    "/apis/sync",
    "/apis/async",
    "/apis/sync/new",
    "/apis/async/new",
    "/script-sets/transfer",
    "/tasks",
    "/admin/sandbox",
    "/admin/system",
    "/settings/tokens",
    "/settings/sessions",
    "/settings/password",
    "/api-docs",
    "/docs/scripts",
    "/nothing-here",
]
VISIBLE_TEXT = """() => {
  const skip = "code, pre, kbd, script, style, .cm-content, .cm-gutters, [translate=no], " +
    "select option, .data";
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest(skip) || !el.checkVisibility()) continue;
    const text = walker.currentNode.textContent.trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
    if (el.closest(skip)) continue;
    for (const name of ["placeholder", "title", "aria-label"]) {
      const value = el.getAttribute(name);
      if (value) out.push(value);
    }
  }
  for (const el of document.querySelectorAll("select option")) {
    if (!el.closest("[translate=no]")) out.push(el.textContent.trim());
  }
  return out;
}"""
MESSAGE_BLOBS = """() => [...document.querySelectorAll('script[type="application/json"]')].map(
  (el) => [el.id, el.textContent])"""


def english_left(texts, data: set[str]) -> list[str]:
    """Segments with an English word that is neither a kept name nor data shown as it is."""
    left = []
    for text in texts:
        if CJK.search(text):
            continue
        rest = re.sub(r"%\(\w+\)s", "", text)  # placeholders are filled in, not shown
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, "")
        words = [w for w in WORD.findall(rest) if w not in KEEP]
        # ids, paths and examples: something like a_b, a.b, a/b, 9am, or {...}
        if words and not re.fullmatch(r"[\w./:@+{}\"', -]*[_./:@{}\d][\w./:@+{}\"', -]*", text):
            left.append(text)
    return sorted(set(left))


def message_strings(blob_id: str, text: str) -> list[str]:
    data = json.loads(text)
    if blob_id == "funcpad-boot":
        data = {"messages": data.get("messages", {}), "phrases": data.get("editorPhrases", {})}
    elif blob_id in ("crontab-form-data", "api-form-data", "api-list-data"):
        data = data.get("messages", {})  # the rest is data: ids, kinds, functions
    elif blob_id == "guide-data":  # ids and links are not text
        data = [data["title"], data["done"], data["close"], *(s["text"] for s in data["steps"])]
    out: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            out.append(item)
    return out


def test_every_page_and_message_is_in_chinese(page):
    login(page)
    code = "@DFF.API('Hello')\ndef hello(name='x'):\n    print('hi')\n    return 1\n"
    api(page, "POST", "/scripts", {"id": "zhall", "title": "Zh all", "code": code})
    api(page, "POST", "/scripts/zhall/publish", {})
    api(page, "PATCH", "/script-sets/default", {"requirements": "tabulate\n"})  # Packages card
    record = api(page, "POST", "/funcs/zhall.hello/call", {"kwargs": {}})
    job = api(page, "POST", "/crontab-configs", {"func_id": "zhall.hello", "crontab": "0 * * * *"})
    sync = api(page, "POST", "/sync-apis", {"func_id": "zhall.hello", "id": "zh-sync",
        "auth": {"type": "httpBasic", "users": [{"username": "u1", "password": "p"}]},
        "throttling": {"byMinute": 5}})  # fmt: skip
    data = {
        "zhall",
        "Zh all",
        "Hello",
        "hello",
        "hi",
        job["id"],
        "zh-sync",
        "u1",
        "DataKit (embedded receiver)",
        "datakit",
        "zh_cpu",
        "usage",
        "host",
        "h1",
    }
    page.goto("/lang/zh?next=/scripts")
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        shot(page, "zh-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "root"))
        left = english_left(page.evaluate(VISIBLE_TEXT), data)
        for blob_id, text in page.evaluate(MESSAGE_BLOBS):
            left += [f"[{blob_id}] {m}" for m in english_left(message_strings(blob_id, text), data)]
        if left:
            found[name] = left

    pages = [
        "/scripts",
        "/scripts/zhall",
        "/env-vars",
        "/connectors",
        "/packages",
        "/explore/metrics",
        "/logs",
        "/crontab",
        "/crontab/new",
        f"/crontab/{job['id']}/edit",
        "/apis/sync",
        "/apis/async",
        "/apis/sync/new",
        f"/apis/sync/{sync['id']}/edit",
        "/script-sets/transfer",
        "/tasks",
        f"/tasks/{record['id']}",
        "/admin/sandbox",
        "/settings/tokens",
        "/settings/sessions",
        "/settings/password",
        "/api-docs",
        "/docs/scripts",
        "/nothing-here",
    ]
    for path in pages:
        page.goto(path)
        check(path)
    # States a page reaches: a run's output, the publish dialog, the history panel.
    page.goto("/scripts/zhall")
    page.click("#btn-run")
    page.wait_for_selector("#return-value")
    check("editor after a run")
    page.click("#btn-history")
    page.wait_for_selector(".revision")
    check("editor history")
    page.click("#btn-publish")
    page.wait_for_selector("#publish-dialog")
    check("publish dialog")
    shot(page, "zh-publish-dialog")
    # The chart, with its legend, once there are points.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    written = page.request.post(
        "/v1/write/metric", data="zh_cpu,host=h1 usage=1.5\n", headers={"X-CSRFToken": token}
    )
    assert written.ok, written.text()
    page.goto("/explore/metrics?measurement=zh_cpu&field=usage")
    page.wait_for_selector(".u-legend")
    check("metrics chart")
    page.goto("/lang/en?next=/scripts")
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_every_page_in_english_for_the_screenshots(page):
    """The same pages in English, each answered and drawn (tests/browser/screenshots/en-*)."""
    login(page)
    for path in PAGES_WITHOUT_IDS:
        response = page.goto(path)
        assert response.status == (404 if path == "/nothing-here" else 200), path
        page.wait_for_load_state("networkidle")
        shot(page, "en-" + (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"))
