"""Example: read JSON over HTTP.

The URL is kept in the environment variable ``EXAMPLE_URL`` (Env variables page); it starts as
the embedded receiver's ``/v1/ping``, which scripts may reach under the default network policy,
so this works offline. Point it at any JSON API to read that instead.
"""

import requests


@DFF.API("Read JSON over HTTP", category="example", timeout=30)
def fetch(timeout=10):
    """GET the URL in EXAMPLE_URL and return its JSON."""
    url = DFF.ENV("EXAMPLE_URL")
    response = requests.get(url, timeout=timeout)
    print("GET", url, "->", response.status_code, f"({len(response.content)} bytes)")
    response.raise_for_status()
    data = response.json()
    version = (data.get("content") or {}).get("version")
    if version:
        print("DataKit version:", version)
    return data
