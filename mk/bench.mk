# mk/bench.mk - the benchmark (included by the Makefile).
#
#   make bench          throughput and latency of the same Apache and backend:
#                       plain, module passthrough, JSON check, enforce,
#                       ModSecurity, the database bound and the floor of a
#                       durable decision (pgbench: dbbound, pgcommit), at 1,
#                       16 and 64 connections, and the memory (Rss, Pss) of
#                       an Apache child; ends with `name value` lines (also
#                       in build/bench/figures.txt).  About 8 minutes.
#   make bench BENCH_SECONDS=2 BENCH_WARMUP=1 BENCH_CONNECTIONS="1 16"
#                       the short mode: every figure, about 3 minutes
#   make bench-profile  instructions per request of the core (callgrind on
#                       bench/core_driver.c) and the plans of the history
#                       queries on the benchmark database (EXPLAIN ANALYZE)
#
#   make bench BENCH_SECONDS=30 BENCH_CONNECTIONS="16 64" BENCH_SETUPS="plain enforce"
# See bench/run for every knob and bench/README-performance.md for figures.

BENCH_SECONDS     ?= 10
BENCH_WARMUP      ?= 2
BENCH_CONNECTIONS ?= 1 16 64
BENCH_SETUPS      ?= plain passthrough check enforce modsec dbbound pgcommit
BENCH_ITERATIONS  ?= 10000
BENCH_ENV = BENCH_SECONDS="$(BENCH_SECONDS)" BENCH_WARMUP="$(BENCH_WARMUP)" \
            BENCH_CONNECTIONS="$(BENCH_CONNECTIONS)" BENCH_SETUPS="$(BENCH_SETUPS)"

CORE_DRIVER := $(BUILD)/bench/core_driver

.PHONY: bench bench-profile bench-core bench-explain

bench: all backend
	@$(BENCH_ENV) bench/run

# The core alone, optimised as the module is (-O2), with symbols for
# callgrind.
$(CORE_DRIVER): bench/core_driver.c $(CORE_SRCS) $(HDRS)
	@mkdir -p $(BUILD)/bench
	$(CC) -std=gnu11 -O2 -g $(WARN) -Imod_doanra $(APR_CFLAGS) -o $@ \
	    bench/core_driver.c $(CORE_SRCS) $(APR_LIBS) $(ICU_LIBS)

bench-core: $(CORE_DRIVER)
	@BENCH_ITERATIONS=$(BENCH_ITERATIONS) bench/profile-core $(CORE_DRIVER)

bench-explain: all backend
	@BENCH_SETUPS=explain bench/run

bench-profile: bench-core bench-explain
