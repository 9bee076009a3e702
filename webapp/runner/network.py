"""Host side: what a script may reach on the network (``FUNCPAD_SANDBOX_NETWORK``).

- ``internet`` (default): the sandbox gets its own network namespace, connected to the
  outside by pasta (Debian ``passt``: user-mode NAT, the host's loopback not mapped). Inside,
  the private, link-local, shared, multicast ranges and the host's own networks are
  ``prohibit`` routes (``netsetup.py``); the host's loopback is reachable only on the ports of
  connectors that point at it (pasta ``-T``), a connector's non-public address is opened alone
  (the whole address, not just its port: routes cannot tell ports apart). No IPv6.
- ``none``: loopback of its own only (bubblewrap ``--unshare-net``).
- ``host``: the host's network as it is — every loopback service, the app's own port, the
  database, abstract UNIX sockets. Opt-in only; shown as a warning.

Without pasta (or iproute2) ``internet`` falls back to ``none``, loudly: failing closed.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field

POLICIES = ("internet", "none", "host")
BLOCKED_RANGES = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
)
DNS_FORWARDER = "169.254.53.53"  # pasta answers DNS sent here with the host's resolver


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


@dataclass
class NetworkPlan:
    """How one slot's network is set up; ``describe()`` is what the Sandbox page lists."""

    policy: str
    loopback_ports: list[int] = field(default_factory=list)
    allowed_addresses: list[str] = field(default_factory=list)
    prohibit: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)

    def netsetup_json(self) -> str:
        return json.dumps(
            {"prohibit": self.prohibit, "allow": self.allowed_addresses, "dns": DNS_FORWARDER}
        )


def pasta_available() -> tuple[bool, str]:
    pasta = shutil.which("pasta")
    ip = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin")
    if not pasta:
        return False, "pasta is not installed (Debian package passt)"
    if not ip:
        return False, "ip is not installed (Debian package iproute2)"
    return True, pasta


def host_networks() -> list[str]:
    """The host's own IPv4 networks and addresses (loopback aside), to be blocked."""
    ip = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin") or "ip"
    try:
        done = subprocess.run(
            [ip, "-j", "-4", "addr", "show"], capture_output=True, text=True, timeout=5
        )
        interfaces = json.loads(done.stdout or "[]")
    except (OSError, ValueError, subprocess.SubprocessError):
        return []
    found: set[str] = set()
    for interface in interfaces:
        for info in interface.get("addr_info", []):
            try:
                address = ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}")
            except (KeyError, ValueError):
                continue
            if address.ip.is_loopback:
                continue
            found.add(str(address.network))
            found.add(f"{address.ip}/32")
    return sorted(found)


def resolve(host: str) -> list[ipaddress.IPv4Address]:
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({ipaddress.IPv4Address(info[4][0]) for info in infos})


def is_blocked(address: ipaddress.IPv4Address, prohibit: Iterable[str]) -> bool:
    return any(address in ipaddress.ip_network(network) for network in prohibit)


def plan_for(policy: str, endpoints: Iterable[Endpoint]) -> NetworkPlan:
    """The routes and forwards that open exactly the connectors' endpoints under ``policy``."""
    plan = NetworkPlan(policy=policy)
    if policy != "internet":
        return plan
    plan.prohibit = sorted(set(BLOCKED_RANGES) | set(host_networks()))
    for endpoint in sorted(set(endpoints), key=lambda e: (e.host, e.port)):
        for address in resolve(endpoint.host):
            if address.is_loopback:
                if endpoint.port not in plan.loopback_ports:
                    plan.loopback_ports.append(endpoint.port)
            elif is_blocked(address, plan.prohibit):
                if f"{address}/32" not in plan.allowed_addresses:
                    plan.allowed_addresses.append(f"{address}/32")
            else:
                continue  # public: reachable anyway
            plan.endpoints.append(f"{endpoint.host}:{endpoint.port}")
            break
    plan.loopback_ports.sort()
    return plan


def pasta_prefix(pasta: str, plan: NetworkPlan) -> list[str]:
    """pasta, running the rest of the command line in a new user and network namespace."""
    tcp_to_host = ",".join(str(port) for port in plan.loopback_ports) or "none"
    return [
        pasta,
        "--quiet",
        "--foreground",
        "--config-net",
        "--no-map-gw",
        "--ipv4-only",
        "--tcp-ports",
        "none",
        "--udp-ports",
        "none",
        "--tcp-ns",
        tcp_to_host,
        "--udp-ns",
        "none",
        "--dns-forward",
        DNS_FORWARDER,
        # pasta configures the namespace itself (--config-net): no DHCP/NDP/RA to answer, and
        # a little less memory per slot.
        "--no-icmp",  # a script has no raw or ping socket to use it with anyway
        "--no-dhcp",
        "--no-ndp",
        "--no-dhcpv6",
        "--no-ra",
        "--",
    ]
