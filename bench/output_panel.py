"""The editor's run panel under a flood of printed lines, in Debian's chromium.

For each line count, runs a draft that prints that many lines and measures in the page: the
time from the click on Run to the result, the longest main-thread task (what a click on Stop
or Clear waits for at most), and the lines drawn. Medians over --repeat runs.

    .venv/bin/python bench/output_panel.py [--lines 1000 10000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import gunicorn, make_token  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MEASURE = """async () => {
  window.__longest = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
  }).observe({ type: "longtask" });
  const started = performance.now();
  document.querySelector("#btn-run").click();
  await new Promise((resolve) => {
    const done = () => document.querySelector(".output-facts");
    const check = () => (done() ? resolve() : setTimeout(check, 10));
    check();
  });
  return { ms: performance.now() - started, longest: window.__longest,
           drawn: document.querySelectorAll(".output-logs .log-line").length };
}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, gunicorn(Path(tmp)) as (base, _pid):
        token = make_token(Path(tmp))
        import requests

        headers = {"Authorization": f"Bearer {token}"}
        for n in args.lines:
            code = (
                f"def flood():\n    for i in range({n}):\n        print('line', i)\n"
                f"    return {n}\n"
            )
            requests.post(
                f"{base}/api/v1/scripts",
                json={"id": f"flood_{n}", "title": "Flood", "code": code},
                headers=headers,
                timeout=10,
            ).raise_for_status()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            context = browser.new_context(base_url=base, extra_http_headers=headers)
            page = context.new_page()
            print(f"{'lines':>8} {'click→result ms':>16} {'longest task ms':>16} {'drawn':>7}")
            for n in args.lines:
                page.goto(f"/scripts/flood_{n}")
                page.wait_for_selector("body[data-ready='1']")
                page.wait_for_function("document.querySelector('#func-picker').value === 'flood'")
                runs = [page.evaluate(MEASURE) for _ in range(args.repeat)]
                print(
                    f"{n:>8} {statistics.median(r['ms'] for r in runs):>16.0f} "
                    f"{statistics.median(r['longest'] for r in runs):>16.0f} "
                    f"{runs[-1]['drawn']:>7}"
                )
            browser.close()


if __name__ == "__main__":
    main()
