# mk/soak.mk - long fault and concurrency runs (included by the Makefile).
#
#   make soak      the quota race at scale (two Apache servers, one
#                  PostgreSQL), then tests/soak: PostgreSQL killed and
#                  restarted under load, apache2 -k graceful under wrk and
#                  under threads, the backend down under load, and
#                  (test_soak_faults.py) cycles of PostgreSQL stopped,
#                  SIGSTOPped, doanra.trips locked and Apache SIGKILLed
#                  under `allow` and `refuse` traffic.  Prints one figures
#                  line per scenario; the faults end with "soak faults:
#                  requests, trips accepted by the backend, trips in the
#                  history, duplicates, lost, longest wait".
#
# Scale (defaults take about 6 minutes on 2 cores):
#   SOAK_RACE_RUNS=50 SOAK_RACE_PARALLEL=40   quota race runs x parallel posts
#   SOAK_CYCLES=10 SOAK_THREADS=12            PostgreSQL kills, load threads
#   SOAK_SECONDS=30                           wrk/graceful duration
# e.g. make soak SOAK_CYCLES=30 SOAK_SECONDS=120

SOAK_RACE_RUNS     ?= 50
SOAK_RACE_PARALLEL ?= 40
SOAK_CYCLES        ?= 10
SOAK_THREADS       ?= 12
SOAK_SECONDS       ?= 30
SOAK_PYTEST        := $(PYTHON) -m pytest -q -rfEs -p no:cacheprovider

.PHONY: soak

soak: all backend
	DOANRA_RACE_RUNS=$(SOAK_RACE_RUNS) DOANRA_RACE_PARALLEL=$(SOAK_RACE_PARALLEL) \
	    $(SOAK_PYTEST) tests/integration/test_quota_race.py
	SOAK_CYCLES=$(SOAK_CYCLES) SOAK_THREADS=$(SOAK_THREADS) \
	    SOAK_SECONDS=$(SOAK_SECONDS) $(SOAK_PYTEST) tests/soak
