"""Fill msgstr entries of the zh_Hans catalogue from a JSON map {msgid: msgstr} and clear fuzzy flags.

Usage: .venv/bin/python scripts/fill_translations.py MAP.json   (then scripts/compile_messages.py)
Prints the msgids still untranslated so nothing is left half done."""

import json
import sys
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parent.parent / "src/tousu/locale/zh_Hans/LC_MESSAGES/django.po"


def main() -> int:
    mapping = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")) if len(sys.argv) > 1 else {}
    po = polib.pofile(str(CATALOGUE))
    for entry in po:
        if entry.msgid in mapping:
            if entry.msgid_plural:  # Chinese has one plural form
                entry.msgstr_plural = {0: mapping[entry.msgid]}
            else:
                entry.msgstr = mapping[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.previous_msgid_plural = None
            entry.previous_msgctxt = None
    po.save()
    missing = [e.msgid for e in po if not e.obsolete and ("fuzzy" in e.flags or not (e.msgstr or any(e.msgstr_plural.values())))]
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
