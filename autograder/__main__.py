"""python -m autograder <command>: the course's instructor commands (see README)."""

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("course", help="release, execute every solution, autograde it, report")
    p.add_argument("--mode", choices=["fast", "full"], default="fast")
    p.add_argument("--lessons", nargs="*", help="default: all lessons in solutions/")
    p.add_argument("--json", type=Path, help="also write the report as JSON to this file")

    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/")
    p.add_argument("--lessons", nargs="*", help="default: all lessons in solutions/")

    args = parser.parse_args(argv)
    if args.command == "course":
        from .run_course import run
        return run(args.lessons, mode=args.mode, json_path=args.json)
    if args.command == "release":
        from .release import generate
        for path in generate(args.lessons):
            print(f"released {path}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
