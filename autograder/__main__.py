"""python -m autograder <command>: the course's instructor commands (see docs/grading.md).

  release    regenerate notebooks/ from solutions/, refusing a release that would grade wrongly
  publish    write the student distribution (releases, package, student README; no answers) to DIR
  collect    submissions from a folder, an LMS zip or nbgrader's exchange into a course folder
  grade      autograde them in the jail, in parallel; then feedback, report and CSV
  feedback   per-student HTML feedback from the grading records
  report     class summary (report.md, scores.png, grades.csv, tests.csv, similarity); with --lms,
             the gradebook file Canvas or Moodle imports, or a wide CSV
  release-hold  give a submission the points the static scan held, after reviewing its code
  course     the main job: release, execute every solution, autograde it, report
  bench-grading  time grading a class of copies of the solutions: 1 worker, one per core, a local
             Dask cluster, and plain nbgrader
"""

import argparse
import datetime as dt
import sys
from pathlib import Path

DEFAULT_COURSE = Path("build") / "grading"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("course", help="release, execute every solution, autograde it, report")
    p.add_argument("--mode", choices=["test", "fast", "full"],
                   help="default: llmcourse.mode's choice (LLMCOURSE_MODE, else full on a CUDA GPU, fast elsewhere); "
                        "test: the test suite's sizes (code paths only, nothing shown)")
    p.add_argument("--lessons", nargs="*", help="default: all lessons in solutions/")
    p.add_argument("--json", type=Path, help="also write the report as JSON to this file")

    p = sub.add_parser("bench-grading", help="time grading N copies of the solutions")
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--lessons", nargs="*", default=["00_setup"])
    p.add_argument("--workers", type=int, nargs="*", help="worker counts to compare (default: 1 and one per core)")
    p.add_argument("--no-dask", action="store_true", help="skip the local Dask cluster column")

    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/ and validate it")
    p.add_argument("--lessons", nargs="*", help="default: all lessons in solutions/")
    p.add_argument("--no-validate", action="store_true", help="skip nbgrader validate (faster)")
    p.add_argument("--force", action="store_true",
                   help="overwrite release notebooks even if they changed since they were generated")

    p = sub.add_parser("publish", help="write the student distribution (no solutions, hidden tests or "
                                       "instructor tooling) into DIR")
    p.add_argument("dir", type=Path, help="a new or empty folder, or an earlier distribution (its .git is kept)")

    p = sub.add_parser("collect", help="collect submissions into the course folder")
    p.add_argument("source", type=Path, help="a folder, an LMS zip, or nbgrader's exchange inbound folder")
    p.add_argument("--course", type=Path, default=DEFAULT_COURSE)
    p.add_argument("--lessons", nargs="*")
    p.add_argument("--deadline", help="ISO time, in --timezone (else UTC) unless it says otherwise: later ones "
                                      "are flagged late; written into the gradebook as the lessons' due date")
    p.add_argument("--pattern", help="regex for file names with groups student_id, file_id (and timestamp)")
    p.add_argument("--times-from", choices=["lms", "files"], default="lms",
                   help="lms (default): times the LMS gives (file names, the exchange, --timestamps, Canvas's "
                        "late marker); files: the files' own times (a zip's are local times, see --timezone)")
    p.add_argument("--timestamps", type=Path, help="CSV of the LMS's submission times: submitted_at and either "
                                                   "file or student and lesson")
    p.add_argument("--timezone", help="IANA zone (e.g. Europe/Berlin) of times that name none: the deadline, "
                                      "file names, --timestamps, and zip file times (default for those: this "
                                      "machine's zone)")
    p.add_argument("--late-policy",
                   help="none (the default: flagged only), nbgrader (a late submission scores 0) or per-day:P "
                        "(P %% of the points off per started day late); kept for the lessons collected")

    p = sub.add_parser("grade", help="autograde the collected submissions, then feedback and report")
    p.add_argument("--course", type=Path, default=DEFAULT_COURSE)
    p.add_argument("--lessons", nargs="*")
    p.add_argument("--students", nargs="*", help="only these (e.g. one late submission)")
    p.add_argument("--workers", type=int, help="parallel jobs here (default: one per core)")
    p.add_argument("--scheduler", help="grade on this Dask cluster (tcp://HOST:8786), or 'local-cluster' "
                                       "for one started here; default: threads on this machine")
    p.add_argument("--allow-unjailed", action="store_true",
                   help="let workers without bubblewrap run student code (otherwise they refuse the job)")
    p.add_argument("--cell-timeout", type=int, default=60)
    p.add_argument("--notebook-timeout", type=int, default=600)
    p.add_argument("--memory-mb", type=int, default=4096)

    p = sub.add_parser("release-hold", help="give a held submission its points, after review")
    p.add_argument("student")
    p.add_argument("lesson")
    p.add_argument("--course", type=Path, default=DEFAULT_COURSE)

    p = sub.add_parser("feedback", help="write the feedback from the grading records")
    p.add_argument("--course", type=Path, default=DEFAULT_COURSE)
    p = sub.add_parser("report", help="write the report from the grading records; --lms: grades for the LMS")
    p.add_argument("--course", type=Path, default=DEFAULT_COURSE)
    p.add_argument("--lms", choices=["canvas", "moodle", "csv"],
                   help="also write grades to import: canvas or moodle (fills in --export), or csv (wide table)")
    p.add_argument("--export", type=Path, help="the gradebook CSV exported from Canvas or Moodle (its roster)")
    p.add_argument("--roster", type=Path, help="CSV roster for --lms csv: a student column (ids as collected), "
                                               "optional first_name, last_name, email")
    p.add_argument("--out", type=Path, help="where to write the import file (default: reports/<lms>_import.csv)")
    p.add_argument("--id-column", help="Moodle: the identifier column to match on (default: Email address, "
                                       "ID number or Username, the first the export has)")
    p.add_argument("--missing", choices=["blank", "zero"], default="blank",
                   help="a lesson not submitted: left blank/'missing' (default), or 0")
    p.add_argument("--similarity", type=float, default=0.6,
                   help="pairs of answers at least this similar (0-1) get a side-by-side page for review")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from .course import lessons as all_lessons

    if args.command == "course":
        from .run_course import run
        return run(args.lessons, mode=args.mode, json_path=args.json)
    if args.command == "bench-grading":
        from .grading_benchmark import default_workers, run
        run(args.lessons, args.students, args.workers or default_workers(), dask=not args.no_dask)
        return 0
    if args.command == "release":
        return _release(args)
    if args.command == "publish":
        return _publish(args)
    if args.command == "collect":
        return _collect(args, args.lessons or all_lessons())
    if args.command == "grade":
        return _grade(args, args.lessons or all_lessons())
    if args.command == "feedback":
        from .feedback import write_all
        from .lateness import apply
        apply(args.course)
        print(f"wrote {len(write_all(args.course))} feedback file(s) under {args.course / 'feedback'}")
        return 0
    if args.command == "release-hold":
        from . import class_report, feedback, holds, lateness
        try:
            record = holds.release(args.course, args.student, args.lesson)
        except LookupError as e:
            print(e, file=sys.stderr)
            return 1
        lateness.apply(args.course)
        feedback.write_all(args.course)
        class_report.write(args.course)
        print(f"released: {args.student} / {args.lesson} now {record.score:g} / {record.max_score:g}; "
              "feedback and report rewritten")
        return 0
    if args.command == "report":
        return _report(args)
    return 2


def _collect(args, lessons) -> int:
    import zoneinfo

    from . import lateness
    from .collect import collect, read_timestamps
    from .grade import prepare

    try:
        zone = zoneinfo.ZoneInfo(args.timezone) if args.timezone else None
        policy = lateness.check_policy(args.late_policy) if args.late_policy else None
        deadline = dt.datetime.fromisoformat(args.deadline) if args.deadline else None
        timestamps = read_timestamps(args.timestamps, zone or dt.timezone.utc) if args.timestamps else None
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if deadline and deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=zone or dt.timezone.utc)
    found = collect(args.source, args.course, lessons, args.pattern, deadline, args.times_from, zone, timestamps)
    collected = sorted({s.lesson for s in found.submissions})
    prepare(args.course, collected)  # only lessons handed in reach the gradebook (and its totals)
    lateness.save(args.course, collected, deadline, policy)
    for s in found.submissions:
        print(f"collected {s.student}/{s.lesson}" + (f"  ({'; '.join(s.notes)})" if s.notes else ""))
    for problem in found.problems:  # refused files, and what the instructor should know about times
        print(("NOT COLLECTED " if "not collected" in problem or "ignored" in problem else
               "" if problem.startswith("WARNING") else "NOTE ") + problem)
    return 0


def _report(args) -> int:
    from . import class_report, lateness, lms

    lateness.apply(args.course)
    if not args.lms:  # Moodle-style "First Last" ids give formgrader names even without a roster
        from . import gradebook
        gradebook.set_names(args.course, lms.names_for_gradebook(None, class_report.records(args.course)))
    try:
        lines = class_report.export_lms(args.course, args.lms, args.export, args.roster, args.out,
                                        args.missing, args.id_column) if args.lms else []
    except lms.RosterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {class_report.write(args.course, similarity_threshold=args.similarity)}/report.md")
    for line in lines:
        print(line)
    return 0


def _release(args) -> int:
    from .release import ReleaseWouldOverwrite, release
    from .validate import ReleaseRefused
    try:
        paths = release(args.lessons, validate=not args.no_validate, force=args.force)
    except (ReleaseRefused, ReleaseWouldOverwrite) as e:
        print(e, file=sys.stderr)
        return 1
    for path in paths:
        print(f"released {path}")
    return 0


def _publish(args) -> int:
    from .colab import settings
    from .publish import PublishRefused, publish
    print(f"generating the releases from solutions/ and writing the student distribution to {args.dir} "
          "(a minute or two) ...", flush=True)
    try:
        publish(args.dir)
    except PublishRefused as e:
        print(e, file=sys.stderr)
        return 1
    found = settings()
    print(f"published version {found['version']} to {args.dir}; commit it to {found['student_repository']} "
          f"and tag it {found['tag']} (the Colab badges and setup cells point at that tag)")
    return 0


def _grade(args, lessons) -> int:
    import time

    from . import class_report, feedback, lateness, sandbox
    from .course import CourseFolder
    from .grade import grade_all
    from .reference import ReferenceFailed

    where = f"on the Dask cluster {args.scheduler}" if args.scheduler else "on this machine"
    print(f"protections {where}" + (" (each worker checks its own jail before every job):" if args.scheduler else ":"))
    for name, state in sandbox.protections().items():
        print(f"  {'OK ' if state == 'on' else '!! '} {name}: {state}")
    if args.allow_unjailed:
        print("  !!  workers without bubblewrap will grade anyway (--allow-unjailed)")
    lessons = [lesson for lesson in lessons if CourseFolder(args.course).submitted_students(lesson)]
    limits = sandbox.Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                            memory_mb=args.memory_mb)
    start = time.perf_counter()
    try:
        jobs = grade_all(args.course, lessons, limits, workers=args.workers, students=args.students,
                         scheduler=args.scheduler, allow_unjailed=args.allow_unjailed)
    except ReferenceFailed as e:  # nothing can be judged against a solution that fails its own tests
        print(f"error: the reference solution fails its own tests, so nothing was graded: {e}\n"
              "Fix the solution notebook (python -m autograder release checks it), then grade again.",
              file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    for job in jobs:
        print(f"{job.student:<20}{job.lesson:<24}{job.score:>6g} / {job.max_score:<6g}{job.status:<10}"
              f"{job.seconds:>6.1f} s  {len(job.flags)} flag(s)  "
              + (f"raw {job.raw_score:g}, {job.score_note[:60]}  " if job.score_note else "")
              + " | ".join(job.problems)[:100])
    lateness.apply(args.course)
    feedback.write_all(args.course)
    out = class_report.write(args.course)
    print(f"graded {len(jobs)} submission(s) in {seconds:.1f} s; report, grades.csv and scores.png in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
