"""The API reference page: generated from the OpenAPI document, readable, in both languages."""

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


def test_the_api_page_shows_every_operation_of_the_document(page, live_server):
    login(page)
    page.click("#user-menu")
    page.click("#nav-api-docs")
    expect(page.locator("h1")).to_contain_text("API reference")
    # Every operation of the document is on the page, with its method and path.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    document = requests.get(f"{live_server}/api/v1/openapi.json", cookies=cookies).json()
    operations = [(m.upper(), p) for p, ms in document["paths"].items() for m in ms]
    assert len(operations) >= 45
    assert page.locator("article.api-op").count() == len(operations)
    create = page.locator("#create_script")
    expect(create.locator(".method")).to_have_text("POST")
    expect(create.locator(".api-path")).to_have_text("/api/v1/scripts")
    # The bounds shown are the ones that are enforced (a title of at most 200 characters).
    expect(create.locator("tr", has_text="title")).to_contain_text("string (≤ 200)")
    expect(create.locator(".api-curl")).to_contain_text('"id": "demo"')
    shot(page, "api-docs-en")
    page.locator("#schema-TaskRecord").scroll_into_view_if_needed()
    expect(page.locator("#schema-TaskRecord")).to_contain_text("return_value")
    # The raw document is linked.
    assert page.locator("#openapi-link").get_attribute("href") == "/api/v1/openapi.json"


def test_the_api_page_in_chinese(page):
    login(page)
    page.goto("/lang/zh?next=/api-docs")
    expect(page.locator("h1")).to_contain_text("API 参考")
    expect(page.locator("#create_script .api-summary")).to_have_text("创建脚本")
    shot(page, "api-docs-zh")
    page.goto("/lang/en?next=/scripts")
