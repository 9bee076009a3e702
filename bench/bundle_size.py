"""Print the size of the editor bundle: minified, and gzipped (level 9) as served compressed.

Run after `npm run build` (the README's commands build it): python bench/bundle_size.py
"""

import gzip
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "static" / "dist"


def main() -> None:
    bundles = sorted(DIST.glob("*.js"))
    if not bundles:
        raise SystemExit("no bundle in static/dist: run `npm run build` first")
    for path in bundles:
        raw = path.read_bytes()
        zipped = gzip.compress(raw, compresslevel=9)
        print(
            f"{path.name}: minified {len(raw) / 1024:.1f} KiB, gzipped {len(zipped) / 1024:.1f} KiB"
        )


if __name__ == "__main__":
    main()
