# mk/fuzz.mk - libFuzzer targets for the pure core (tests/fuzz).
#
#   make fuzz-build   build build/fuzz/fuzz_{form,date,trip,render,refill,diff}
#   make fuzz-short   replay tests/fuzz/regressions, then each fuzzer for
#                     FUZZ_SHORT_SECONDS (20); part of `make test`
#   make fuzz         each fuzzer for FUZZ_SECONDS (300)
#   make fuzz FUZZ_TARGETS=fuzz_trip FUZZ_SECONDS=3600
#
# The core is compiled once with coverage instrumentation
# (-fsanitize=fuzzer-no-link) plus ASan and UBSan, and each target links it
# with libFuzzer's main.  See tests/fuzz/run for what a run reports.
FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 300
FUZZ_SHORT_SECONDS ?= 20
FUZZ_TARGETS       ?= fuzz_form fuzz_date fuzz_trip fuzz_render fuzz_refill fuzz_diff
FUZZ_DIR           := $(BUILD)/fuzz
FUZZ_APR           := $(shell apr-1-config --includes --cppflags 2>/dev/null)
FUZZ_CFLAGS        := -std=gnu11 -g -O1 -fno-omit-frame-pointer $(WARN) \
                      -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                      -Imod_doanra $(FUZZ_APR)
FUZZ_OBJS          := $(patsubst mod_doanra/%.c,$(FUZZ_DIR)/obj/%.o,$(CORE_SRCS))
FUZZ_BINS          := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

.PHONY: fuzz-build fuzz-short fuzz
# Keep the instrumented core objects: they are shared by every target.
.SECONDARY: $(FUZZ_OBJS)

$(FUZZ_DIR)/obj/%.o: mod_doanra/%.c $(HDRS)
	@mkdir -p $(FUZZ_DIR)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) \
	    $(APR_LIBS) $(ICU_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-short: fuzz-build
	@tests/fuzz/run $(FUZZ_SHORT_SECONDS) $(FUZZ_TARGETS)

fuzz: fuzz-build
	@tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)
