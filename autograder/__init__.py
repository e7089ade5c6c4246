"""The instructor's side of the course: release, autograde and report, around nbgrader."""
