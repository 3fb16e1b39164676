# The two commands of the README. Everything else is in scripts/.
.PHONY: run test

run:  ## install, migrate, load the small demo city and serve on http://127.0.0.1:5000
	scripts/run.sh

test:  ## install what the tests need (Python packages, Debian chromium and a CJK font) and run them all
	scripts/test.sh
