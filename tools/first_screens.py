"""Copy each chapter's first screen (theory page and notebook page), as the browser test
photographed it, into book/images/first-screens/ for the README: the top 1100 x 900 pixels,
scaled to half size.

    python tools/first_screens.py      # after `make test` (book/_build/screenshots/)
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "book" / "_build" / "screenshots"
OUT = ROOT / "book" / "images" / "first-screens"


def main() -> int:
    sys.path.insert(0, str(ROOT / "lib"))
    from theorybench.chapters import names

    OUT.mkdir(parents=True, exist_ok=True)
    missing = []
    for chapter in names():
        for kind in ("theory", "notebooks"):
            shot = SHOTS / f"{kind}_{chapter}-first-screen.png"
            if not shot.exists():
                missing.append(shot.name)
                continue
            image = Image.open(shot).convert("RGB")
            image = image.crop((0, 0, image.width, min(image.height, 900)))
            image = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
            image.save(OUT / f"{chapter}-{kind}.png", optimize=True)
    if missing:
        print("missing screenshots (run make test first):", ", ".join(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
