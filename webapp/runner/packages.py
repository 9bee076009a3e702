"""The script packages the sandbox binds (``FUNCPAD_SANDBOX_PACKAGES``): what is there, by the
``*.dist-info`` folders pip wrote."""

from __future__ import annotations

from pathlib import Path


def installed(packages_dir: str | None) -> list[tuple[str, str]]:
    """(name, version) of each package in the directory, by name; [] without one."""
    if not packages_dir:
        return []
    found = []
    for info in Path(packages_dir).glob("*.dist-info"):
        name, version = None, None
        try:
            for line in (info / "METADATA").read_text(encoding="utf-8").splitlines():
                if line.startswith("Name: "):
                    name = line[6:].strip()
                elif line.startswith("Version: "):
                    version = line[9:].strip()
                elif not line:
                    break
        except OSError:
            continue
        if name and version:
            found.append((name, version))
    return sorted(found, key=lambda item: item[0].lower())
