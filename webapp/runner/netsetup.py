"""Child side: shape a sandbox's network namespace, then exec bubblewrap inside it.

Run by pasta (``FUNCPAD_SANDBOX_NETWORK=internet``) as the root of the user namespace pasta
made, whose network namespace pasta has just connected to the host by user-mode NAT:
``python -I netsetup.py '<plan json>' bwrap ...``. Before any script exists it

- makes every blocked range a ``prohibit`` route (private, link-local, shared, multicast and
  the host's own networks and addresses), so a connect() there fails with EACCES at once;
- removes the route to the host's own subnet that pasta copied in, so the LAN is blocked too;
- opens single addresses again where a connector points (``allow``), and the DNS forwarder;

then replaces itself with bubblewrap, which drops every capability but CAP_SYS_ADMIN (used
only by the zygote to give each job its namespaces). Host loopback ports that connectors use
are forwarded by pasta itself (``-T``); every other loopback port of the host is unreachable.
Standard library and ``ip`` (iproute2) only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

IP_PATHS = ("/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip")
IP = next((path for path in IP_PATHS if os.path.exists(path)), "ip")


def ip(*args: str) -> str:
    done = subprocess.run([IP, *args], capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def default_route(wait_seconds: float = 5.0) -> tuple[str, str]:
    """(gateway, interface) of the default route pasta configured."""
    deadline = time.monotonic() + wait_seconds
    while True:
        for route in json.loads(ip("-j", "-4", "route", "show", "default") or "[]"):
            if route.get("gateway") and route.get("dev"):
                return route["gateway"], route["dev"]
        if time.monotonic() > deadline:
            raise RuntimeError("pasta configured no default route")
        time.sleep(0.02)


def shape(plan: dict) -> None:
    gateway, device = default_route()
    for route in json.loads(ip("-j", "-4", "route", "show", "dev", device) or "[]"):
        if route.get("dst") not in (None, "default") and route.get("protocol") == "kernel":
            ip("route", "del", route["dst"], "dev", device)
    ip("route", "replace", "default", "via", gateway, "dev", device, "onlink")
    for network in plan.get("prohibit", []):
        ip("route", "replace", "prohibit", network)
    for address in plan.get("allow", []):
        ip("route", "replace", address, "via", gateway, "dev", device, "onlink")
    if plan.get("dns"):
        ip("route", "replace", f"{plan['dns']}/32", "dev", device)


def main() -> None:
    plan = json.loads(sys.argv[1])
    try:
        shape(plan)
    except Exception as exc:  # no bwrap, no zygote: the app sees the slot fail to start
        print(f"netsetup: {exc}", file=sys.stderr)
        sys.exit(1)
    os.execv(sys.argv[2], sys.argv[2:])


if __name__ == "__main__":
    main()
