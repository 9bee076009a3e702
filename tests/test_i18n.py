"""The UI ships in English and Simplified Chinese (compiled by scripts/setup.sh)."""

import json
import re

from tests.conftest import log_in


def test_login_page_follows_accept_language(client):
    english = client.get("/login").get_data(as_text=True)
    assert "Log in" in english and 'lang="en"' in english
    chinese = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    html = chinese.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "登录" in html and "Log in</button>" not in html


def test_language_cookie_overrides_the_browser(client):
    response = client.get("/lang/zh?next=/login")
    assert response.status_code == 302 and response.location == "/login"
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "登录" in html
    client.get("/lang/en")
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_editor_strings_and_api_errors_are_translated(client):
    client.get("/lang/zh")
    log_in(client)
    html = client.get("/scripts").get_data(as_text=True)
    boot = json.loads(
        re.search(r'id="funcpad-boot" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert boot["messages"]["saved"] != "Saved"
    assert re.search(r"[\u4e00-\u9fff]", boot["messages"]["unsaved"])
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    response = client.post("/api/v1/scripts", json={"id": "bad"}, headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.json["error"] == "missing_field"  # machine codes stay English
    assert re.search(r"[\u4e00-\u9fff]", response.json["message"])


def _editor_boot(client) -> dict:
    html = client.get("/scripts").get_data(as_text=True)
    match = re.search(r'id="funcpad-boot" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def _write_metric_info(boot: dict) -> str:
    items = [item for group in boot["completions"].values() for item in group]
    return next(item["info"] for item in items if item["label"] == "write_metric")


def test_editor_completions_follow_the_language_of_each_request(client):
    """The completions are translated once per language and kept: each page still gets its own
    language's text, in whatever order the languages come."""
    log_in(client)
    english = _write_metric_info(_editor_boot(client))
    client.get("/lang/zh")
    chinese = _write_metric_info(_editor_boot(client))
    client.get("/lang/en")
    english_again = _write_metric_info(_editor_boot(client))
    assert english and not re.search(r"[\u4e00-\u9fff]", english)
    assert re.search(r"[\u4e00-\u9fff]", chinese)
    assert english_again == english
