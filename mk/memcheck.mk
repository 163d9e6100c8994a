# mk/memcheck.mk - the module under valgrind, and one child's memory over
# many requests (included by the Makefile).
#
#   make memcheck        apache2 -X under valgrind memcheck with the module:
#                        pass, warn, fail (both pages), the JSON check,
#                        multipart, chunked, 413, 400, 100-continue, report
#                        mode, database down and back; fails on any invalid
#                        read/write or definite leak (tests/memcheck/run,
#                        suppressions in tests/memcheck/doanra.supp).
#                        MEMCHECK_ROUNDS=20 sends the request set 20 times.
#   make memcheck-short  the same with 2 rounds (part of `make test`, ~15 s)
#   make soak-memory     one event-MPM child under wrk: its RSS after a
#                        warm-up and after SOAK_MEMORY_REQUESTS more requests
#                        (default 200000) must stay within
#                        SOAK_MEMORY_TOLERANCE_KB (4096); part of `make soak`.

MEMCHECK_ROUNDS          ?= 20
SOAK_MEMORY_REQUESTS     ?= 200000
SOAK_MEMORY_WARMUP       ?= 20000
SOAK_MEMORY_TOLERANCE_KB ?= 4096

.PHONY: memcheck memcheck-short soak-memory

memcheck: all backend
	@MEMCHECK_ROUNDS=$(MEMCHECK_ROUNDS) $(PYTHON) tests/memcheck/run

memcheck-short: all backend
	@$(PYTHON) tests/memcheck/run --short

soak-memory: all backend
	@SOAK_MEMORY_REQUESTS=$(SOAK_MEMORY_REQUESTS) SOAK_MEMORY_WARMUP=$(SOAK_MEMORY_WARMUP) \
	    SOAK_MEMORY_TOLERANCE_KB=$(SOAK_MEMORY_TOLERANCE_KB) $(PYTHON) tests/memcheck/soak-memory

# `make soak` also runs soak-memory (mk/soak.mk defines its recipe).
soak: soak-memory

TEST_SUITES += memcheck-short
