"""Card commands: ``python -m knowledge validate|import|export``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from database import migrate
from knowledge.loader import card_files
from knowledge.store import CardImportError, export_cards, import_files, missing_catalog_ids, validate_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("validate", "check card files"), ("import", "load card files into the database")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("paths", nargs="*", type=Path, help="card files (default: knowledge/cards)")
        if name == "import":
            cmd.add_argument("--force", action="store_true", help="also overwrite cards edited in the database")
    export = sub.add_parser("export", help="write the database's cards as YAML")
    export.add_argument("directory", type=Path)
    args = parser.parse_args(argv)

    if args.command == "export":
        migrate()
        print(f"exported {export_cards(args.directory)} cards to {args.directory}")
        return 0
    paths = args.paths or card_files()
    if args.command == "validate":
        cards, errors = validate_files(paths)
        problems = [str(e) for e in errors]
        if not args.paths:
            problems += [f"catalog id without a card: {m}" for m in missing_catalog_ids(cards)]
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(cards)} cards, {len(problems)} problems")
        return 1 if problems else 0
    migrate()
    try:
        result = import_files(paths, force=args.force)
    except CardImportError as exc:
        print(f"nothing imported:\n{exc}", file=sys.stderr)
        return 1
    for card in result.kept:
        print(f"kept {card}: edited in the database since (--force to overwrite)", file=sys.stderr)
    print(f"imported {len(paths)} files, {result.changed} cards changed, {len(result.kept)} kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
