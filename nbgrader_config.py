"""nbgrader's configuration for this course.

solutions/ is nbgrader's source folder and notebooks/ its release folder, so
`nbgrader generate_assignment NN_name` turns solutions/NN_name into notebooks/NN_name.
Instructors run nbgrader (or `python -m autograder ...`) from a course folder holding this file.
"""

c = get_config()  # noqa: F821  (injected by nbgrader)

c.CourseDirectory.course_id = "transformers-from-scratch"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.png", "artifacts"]

# A graded cell runs in seconds; demo cells tagged `heavy` are not run while grading
# (autograder/grading_execute.py), so a cell taking minutes is a runaway loop, not work. nbgrader's own Execute preprocessor
# reads these (the ExecutePreprocessor spelling is ignored, see nbgrader#1463).
c.Execute.timeout = 180
c.Execute.interrupt_on_timeout = True

c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError(\"replace this line with your code\")"
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Releases get the "Open in Colab" badge and the Colab setup cell from pyproject.toml's
# [tool.llmcourse] setting; first, so that nbgrader checksums and records the final cells.
c.GenerateAssignment.preprocessors.insert(0, "autograder.colab.ColabCells")

# Grading's Execute step (autograder/grading_execute.py): heavy cells are not run, and a kernel
# that dies (a crash, memory exhausted, an exit) costs only the cell that killed it, not the
# points every other test earned. The rest of nbgrader's autograde steps are its own, in order.
c.Autograde.autograde_preprocessors = [
    "autograder.grading_execute.GradingExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# formgrader's "Generate Feedback" (`nbgrader generate_feedback`) writes the course's verdict page
# from the grading record, never the autograded notebook, whose HTML would show the hidden tests
# (autograder/formgrader_feedback.py); a submission without a record is refused with a message.
c.GenerateFeedback.exporter_class = "autograder.formgrader_feedback.CourseFeedback"

# Submissions are rendered without anything active (formgrader's views and nbgrader's own
# feedback): a student's outputs, Markdown or metadata must not run script in the instructor's
# Jupyter origin (autograder/safe_html.py).
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.preprocessors = ["autograder.safe_html.PassiveNotebook"]
