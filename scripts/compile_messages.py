"""Compile every .po under src/tousu/locale into its .mo (what `compilemessages` does, without msgfmt)."""

from pathlib import Path

import polib

root = Path(__file__).resolve().parents[1] / "src" / "tousu" / "locale"
for po_path in root.glob("*/LC_MESSAGES/*.po"):
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        continue
    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
    print(f"compiled {mo_path.relative_to(root.parents[2])}")
