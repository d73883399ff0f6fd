"""Card and catalog commands: ``python -m knowledge validate|import|export|import-catalog|export-catalog|
export-questions|import-questions``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from database import migrate
from knowledge import catalog_store
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
    load = sub.add_parser("import-catalog", help="import the national catalog (portal export or derived JSON lines)")
    load.add_argument("path", nargs="?", type=Path, default=catalog_store.SHIPPED, help="default: the shipped catalog")
    load.add_argument("--skip-invalid", action="store_true", help="import the good lines, report the bad ones")
    write = sub.add_parser("export-catalog", help="write the catalog's derived facts as JSON lines (.gz to compress)")
    write.add_argument("path", type=Path)
    questions = sub.add_parser("export-questions", help="write the questions editors attached to catalog entries")
    questions.add_argument("path", type=Path)
    attach = sub.add_parser("import-questions", help="attach the questions of an export-questions file")
    attach.add_argument("path", type=Path)
    args = parser.parse_args(argv)

    if args.command == "export-questions":
        migrate()
        print(f"exported {catalog_store.export_questions(args.path)} attached questions to {args.path}")
        return 0
    if args.command == "import-questions":
        return _import_questions(args.path)

    if args.command == "import-catalog":
        return _import_catalog(args.path, args.skip_invalid)
    if args.command == "export-catalog":
        migrate()
        print(f"exported {catalog_store.export_catalog(args.path)} catalog entries to {args.path}")
        return 0
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
        known = catalog_store.shipped_codes()
        problems += [
            f"card {card.id}: code {code} is not in the national catalog"
            for card in cards
            for code in getattr(card, "codes", [])
            if code not in known
        ]
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


def _import_questions(path: Path) -> int:
    migrate()
    added, errors = catalog_store.import_questions(path)
    for problem in errors:
        print(problem, file=sys.stderr)
    if errors:
        print(f"nothing imported: {len(errors)} problems", file=sys.stderr)
        return 1
    print(f"attached questions: {added} added")
    return 0


def _import_catalog(path: Path, skip_invalid: bool) -> int:
    migrate()
    result = catalog_store.import_catalog(catalog_store.read_lines(path), skip_invalid)
    for line, reason in result.errors:
        print(f"line {line}: {reason}", file=sys.stderr)
    if result.errors and not skip_invalid:
        print(f"nothing imported: {len(result.errors)} malformed lines", file=sys.stderr)
        return 1
    print(
        f"catalog: {result.added} added, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.withdrawn} withdrawn"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
