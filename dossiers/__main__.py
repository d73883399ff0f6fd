"""``python -m dossiers import-csv FILE --source NAME``: import a CSV export of
the one-stop system (the push API is served by ``python -m console``)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from database import migrate
from dossiers.csv_import import import_csv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dossiers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    csv_cmd = sub.add_parser("import-csv", help="import a CSV export of the one-stop system")
    csv_cmd.add_argument("file", type=Path)
    csv_cmd.add_argument("--source", required=True, help="the office or system the file comes from")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    migrate()
    result = import_csv(args.file.read_text(encoding="utf-8"), args.source)
    for line, reason in result.rejected:
        print(f"line {line}: {reason}", file=sys.stderr)
    print(f"{result.accepted} rows stored, {result.duplicates} already known, {len(result.rejected)} rejected")
    return 1 if result.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
