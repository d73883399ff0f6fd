"""``python -m dossiers``: the dossier service's commands for staff (the push
API and the notification loop are served by ``python -m console``).

- ``import-csv FILE --source NAME``: import a CSV export of the one-stop system;
- ``redeliver [--all-failed]``: put failed notifications back in the outbox;
- ``unlock CODE``: unlock a dossier's details after too many wrong second factors.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from database import migrate
from dossiers.csv_import import import_csv
from dossiers.notifier import requeue_failed
from dossiers.store import unlock_details
from nlu.text import find_dossier_codes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dossiers", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    csv_cmd = sub.add_parser("import-csv", help="import a CSV export of the one-stop system")
    csv_cmd.add_argument("file", type=Path)
    csv_cmd.add_argument("--source", required=True, help="the office or system the file comes from")
    redeliver = sub.add_parser("redeliver", help="retry notifications that failed for a day (e.g. Rasa was down)")
    redeliver.add_argument(
        "--all-failed", action="store_true", help="also those Rasa refused (HTTP 4xx), e.g. after fixing its token"
    )
    unlock = sub.add_parser("unlock", help="unlock a dossier's details (after checking the citizen's papers)")
    unlock.add_argument("code")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    migrate()
    if args.command == "redeliver":
        print(f"{requeue_failed(include_refused=args.all_failed)} notifications queued again")
        return 0
    if args.command == "unlock":
        codes = [found.code for found in find_dossier_codes(args.code)]
        if len(codes) != 1:
            print(f"not a dossier code: {args.code}", file=sys.stderr)
            return 2
        print(f"{codes[0]}: {'unlocked' if unlock_details(codes[0]) else 'was not locked'}")
        return 0
    result = import_csv(args.file.read_text(encoding="utf-8"), args.source)
    for line, reason in result.rejected:
        print(f"line {line}: {reason}", file=sys.stderr)
    print(
        f"{result.accepted} rows stored, {result.corrected} corrected, {result.duplicates} already known, "
        f"{len(result.rejected)} rejected"
    )
    return 1 if result.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
