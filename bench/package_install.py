"""What pip's sandbox costs: installing one small package from the configured index through the
Packages page's box (bubblewrap, pasta, the installer uid) against plain pip, in turn.

    .venv/bin/python bench/package_install.py [--package tabulate] [--n 3]

Needs the package index pip is set up with; prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp.runner import installer  # noqa: E402
from webapp.runner.sandbox import Sandbox, SandboxConfig  # noqa: E402


def fresh_folder() -> Path:
    base = Path(tempfile.mkdtemp(prefix="funcpad-bench-pip-"))
    base.chmod(0o755)
    return base


def boxed(sandbox: Sandbox, package: str) -> float:
    base = fresh_folder()
    try:
        folder = base / "packages"
        installer.prepare_folder(folder, sandbox)
        started = time.perf_counter()
        lines: list[str] = []
        args = ["install", "--target", installer.INSTALL_MOUNT, "--upgrade", package]
        status = installer.pip(sandbox, folder, args, lines.append)
        elapsed = time.perf_counter() - started
        if status != 0:
            raise SystemExit("\n".join(lines[-20:]))
        return elapsed
    finally:
        shutil.rmtree(base, ignore_errors=True)


def plain(package: str) -> float:
    base = fresh_folder()
    try:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--quiet", "--target",
             str(base / "packages"), "--upgrade", package],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return time.perf_counter() - started
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--package", default="tabulate")
    parser.add_argument("--n", type=int, default=3)
    options = parser.parse_args()
    sandbox = Sandbox(SandboxConfig(slots=1))
    print(
        f"sandbox: bubblewrap={sandbox.layers.bubblewrap} network={sandbox.layers.network} "
        f"installer uid={installer.installer_uid(sandbox)}"
    )
    installer.pip_tool(sandbox)  # the one-time copy of pip is not what is measured
    box_times, plain_times = [], []
    for _ in range(options.n):  # in turn, so both see the same network and machine
        box_times.append(boxed(sandbox, options.package))
        plain_times.append(plain(options.package))
    box, direct = statistics.median(box_times), statistics.median(plain_times)
    print(f"install {options.package}, sandboxed pip   median {box:6.2f} s  (n={options.n})")
    print(f"install {options.package}, plain pip       median {direct:6.2f} s  (n={options.n})")
    print(f"ratio sandboxed / plain: {box / direct:.2f}")


if __name__ == "__main__":
    main()
