# Shortcuts; each target is also a plain script (no make needed on a fresh machine).
.PHONY: setup course benchmark test test-fast release clean

setup:          ## create .venv with the CPU build of torch and the course
	bash scripts/setup.sh

course:         ## the main job: release, execute every solution (fast mode), autograde, report
	bash scripts/course.sh

benchmark:      ## the same run as a benchmark table + JSON: make benchmark MODE=full on a GPU
	bash scripts/course.sh --mode $(or $(MODE),fast) --json build/benchmark-$(or $(MODE),fast).json

test:           ## the whole test suite
	bash scripts/test.sh

test-fast:      ## unit tests only (seconds)
	bash scripts/test.sh -m "not slow"

release:        ## regenerate notebooks/ from solutions/
	bash scripts/setup.sh && PATH="$$PWD/.venv/bin:$$PATH" .venv/bin/python -m autograder release

clean:
	rm -rf build test-artifacts .pytest_cache
