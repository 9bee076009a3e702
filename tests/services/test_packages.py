"""The Packages rules on their own: what may be asked of pip, and an uninstall that never leaves
the folder whatever a package's RECORD says."""

from __future__ import annotations

import pytest

from webapp.services import packages
from webapp.services.errors import ServiceError


def test_requirements_text_and_lists_are_read():
    text = "# comment\narrow==1.3.0\n\nrequests >= 2.31, < 3  # why\nPyYAML[libyaml]\n"
    assert packages.parse_requested(text) == [
        "arrow==1.3.0",
        "requests<3,>=2.31",
        "PyYAML[libyaml]",
    ]
    assert packages.parse_requested(["six", "toml==0.10.2"]) == ["six", "toml==0.10.2"]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("--index-url http://evil.example/simple\nsix", "pip options are not accepted"),
        ("-r /etc/shadow", "pip options are not accepted"),
        ("-e .", "pip options are not accepted"),
        ("six @ https://evil.example/six.whl", "URLs and paths are not accepted"),
        ("six @ file:///etc/passwd", "URLs and paths are not accepted"),
        ("../../etc/passwd", "is not a package name"),
        ("six; rm -rf /", "is not a package name"),
        ("", "Name at least one package"),
        ("# only a comment", "Name at least one package"),
        ("\n".join(f"p{i}" for i in range(51)), "At most 50 packages"),
        ("x" * 201, "longer than 200"),
        (5, "must be a requirements text"),
    ],
)
def test_what_pip_may_not_be_asked_is_a_400_naming_the_field(raw, says):
    with pytest.raises(ServiceError) as caught:
        packages.parse_requested(raw)
    assert caught.value.status == 400 and caught.value.field == "packages"
    assert says in caught.value.message


def _distribution(folder, name, version, record_lines):
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")
    (info / "RECORD").write_text("\n".join(record_lines) + "\n")
    return info


def test_uninstall_removes_the_recorded_files_and_nothing_outside(tmp_path):
    folder = tmp_path / "packages"
    (folder / "evilpkg" / "sub").mkdir(parents=True)
    (folder / "evilpkg" / "__init__.py").write_text("")
    (folder / "evilpkg" / "sub" / "x.py").write_text("")
    (folder / "other").mkdir()
    (folder / "other" / "keep.py").write_text("")
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "target.py").write_text("precious")
    (folder / "link").symlink_to(tmp_path / "elsewhere")
    info = _distribution(
        folder,
        "evilpkg",
        "1.0",
        [
            "evilpkg/__init__.py,sha256=x,0",
            '"evilpkg/sub/x.py",sha256=x,0',
            "../outside.txt,,",
            f"{outside},,",
            "link/target.py,,",  # through a symlink out of the folder
            "evilpkg-1.0.dist-info/RECORD,,",
        ],
    )
    assert packages.parse_installed_names(["EvilPkg"], folder) == ["evilpkg"]
    assert packages.remove_distribution(folder, "evilpkg") == 3  # and RECORD itself
    assert not info.exists() and not (folder / "evilpkg").exists()
    assert outside.read_text() == "precious"
    assert (tmp_path / "elsewhere" / "target.py").read_text() == "precious"
    assert (folder / "other" / "keep.py").exists()
    with pytest.raises(ServiceError) as caught:
        packages.parse_installed_names(["evilpkg"], folder)
    assert caught.value.field == "names" and "not installed" in caught.value.message
