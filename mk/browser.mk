# mk/browser.mk - make test-browser: the demo form in headless Chromium
# (tests/browser/run).  `make test` runs it as its optional suite
# ?test-browser; it needs node, npm (first run only) and Debian's chromium,
# and skips itself without them unless CI is set.
.PHONY: test-browser

test-browser: all backend
	@tests/browser/run
