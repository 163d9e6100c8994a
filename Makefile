# mod_doanra - build, test, demo, install.
#
#   make            build mod_doanra/.libs/mod_doanra.so with apxs (copied to ./mod_doanra.so)
#   make test       unit + fuzz (short) + integration tests; ends with one summary line
#   make demo       install what is missing, start PostgreSQL + Apache demo intranet
#   make demo-stop  stop both
#   make install    install the module and doanra.load / doanra.conf (Debian layout)
#   make deb        the Debian package libapache2-mod-doanra in build/deb/ (mk/deb.mk)
#   make bench      throughput and latency side by side
#   make fuzz       run each fuzzer for longer

APXS      ?= $(shell command -v apxs 2>/dev/null || command -v apxs2 2>/dev/null || echo apxs)
CC        ?= cc
APR_CFLAGS := $(shell apr-1-config --cflags --cppflags --includes 2>/dev/null) $(shell apu-1-config --includes 2>/dev/null)
APR_LIBS   := $(shell apr-1-config --link-ld --libs 2>/dev/null) $(shell apu-1-config --link-ld --libs 2>/dev/null)
ICU_LIBS   := $(shell pkg-config --libs icu-uc icu-i18n 2>/dev/null || echo -licuuc -licui18n)
PQ_CFLAGS  := -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
PQ_LIBS    := -lpq

# The pure core: APR + ICU only.
CORE_SRCS  := mod_doanra/form.c mod_doanra/text.c mod_doanra/date.c \
              mod_doanra/countries.c mod_doanra/core.c mod_doanra/trip.c \
              mod_doanra/rules.c mod_doanra/render.c mod_doanra/refill.c \
              mod_doanra/ctype.c mod_doanra/identity.c \
              mod_doanra/scan.c mod_doanra/ambiguity.c mod_doanra/lifecycle.c
# The Apache shell and the store.
SHELL_SRCS := mod_doanra/mod_doanra.c mod_doanra/config.c mod_doanra/capture.c \
              mod_doanra/inject.c mod_doanra/journal.c mod_doanra/decide.c \
              mod_doanra/settle.c \
              mod_doanra/store.c
HDRS       := $(wildcard mod_doanra/*.h)

WARN       := -Wall -Wextra -Wno-unused-parameter
BUILD      := build
# Extra apxs options, e.g. dpkg-buildflags as -Wc,FLAG / -Wl,FLAG (debian/rules).
APXS_FLAGS ?=

.PHONY: all test unit integration fuzz fuzz-short bench demo demo-stop install clean format

all: mod_doanra.so

mod_doanra.so: $(CORE_SRCS) $(SHELL_SRCS) $(HDRS)
	rm -rf mod_doanra/.libs mod_doanra/*.lo mod_doanra/*.slo mod_doanra/*.la mod_doanra/*.o
	$(APXS) -c -o mod_doanra/mod_doanra.so -Wc,-std=gnu11 -Wc,"$(WARN)" -Wc,-O2 $(APXS_FLAGS) \
	    -I$(CURDIR)/mod_doanra $(PQ_CFLAGS) $(CORE_SRCS) $(SHELL_SRCS) \
	    $(ICU_LIBS) $(PQ_LIBS) >$(BUILD).log 2>&1 || { cat $(BUILD).log; exit 1; }
	@grep -E 'warning:|error:' $(BUILD).log || true
	@# a new inode: a running httpd keeps its mapping of the old file
	cp mod_doanra/.libs/mod_doanra.so mod_doanra.so.new && mv -f mod_doanra.so.new mod_doanra.so
	@echo "built mod_doanra.so"

# ---- unit tests (cmocka, ASan + UBSan) ------------------------------------
UNIT_CFLAGS := -std=gnu11 -g -O1 $(WARN) -fsanitize=address,undefined \
               -fno-omit-frame-pointer -Imod_doanra $(APR_CFLAGS)
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))

$(BUILD)/unit/%: tests/unit/%.c $(CORE_SRCS) $(HDRS)
	@mkdir -p $(BUILD)/unit
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_SRCS) -lcmocka $(APR_LIBS) $(ICU_LIBS)

unit: $(UNIT_TESTS)
	@./tests/run-unit $(UNIT_TESTS)

# ---- the test backend (tests/backend): an Apache handler built with apxs --
# Built in build/backend so apxs leaves no objects in the source tree.
ECHO_SO := $(BUILD)/backend/mod_doanra_echo.so

backend: $(ECHO_SO)

$(ECHO_SO): tests/backend/mod_doanra_echo.c
	@mkdir -p $(BUILD)/backend
	cp tests/backend/mod_doanra_echo.c $(BUILD)/backend/
	cd $(BUILD)/backend && $(APXS) -c -Wc,-std=gnu11 -Wc,"$(WARN)" \
	    mod_doanra_echo.c >build.log 2>&1 || { cat build.log; exit 1; }
	@grep -E 'warning|error:' $(BUILD)/backend/build.log || true
	cp $(BUILD)/backend/.libs/mod_doanra_echo.so $@.new && mv -f $@.new $@

# ---- make test ---------------------------------------------------------------
# Debian's interpreter: it has python3-pytest, a pyenv python3 in PATH may not.
PYTHON     := $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
# Suites run by `make test`, in order; each is a make target.  A name with a
# leading ? runs only when some fragment defines a rule for it (mk/fuzz.mk
# defines fuzz-short, ...).  Fragments may append: TEST_SUITES += my-suite.
# tests/run-all adds up each suite's "N passed, N failed" line and prints
# the closing summary.
TEST_SUITES := unit ?fuzz-short ?test-store ?test-sql integration ?test-browser

test:
	@MAKE="$(MAKE)" $(PYTHON) tests/run-all $(TEST_SUITES)

# Integration: a real httpd with the built module and a private PostgreSQL.
#   make integration PYTEST_ARGS="-k size -x"
integration: all backend
	@$(PYTHON) tests/run-pytest integration tests/integration $(PYTEST_ARGS)

# ---- make demo ---------------------------------------------------------------
# Private PostgreSQL on 127.0.0.1:$(DEMO_PGPORT) and Apache on
# 127.0.0.1:$(DEMO_PORT), state in ./run (see demo/start).
DEMO_PORT   ?= 8080
DEMO_PGPORT ?= 55432
RUN_DIR     := $(CURDIR)/run

demo:
	@DEMO_PORT=$(DEMO_PORT) DEMO_PGPORT=$(DEMO_PGPORT) RUN_DIR=$(RUN_DIR) \
	    MAKE="$(MAKE)" APXS="$(APXS)" demo/start

demo-stop:
	@RUN_DIR=$(RUN_DIR) demo/stop

# ---- make install (Debian layout: a2enmod doanra) ---------------------------
APACHE_MODDIR  ?= $(shell $(APXS) -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)
APACHE_CONFDIR ?= /etc/apache2
DESTDIR        ?=

install: all
	install -d $(DESTDIR)$(APACHE_MODDIR) $(DESTDIR)$(APACHE_CONFDIR)/mods-available
	install -m 644 mod_doanra.so $(DESTDIR)$(APACHE_MODDIR)/mod_doanra.so
	install -m 644 conf/doanra.load $(DESTDIR)$(APACHE_CONFDIR)/mods-available/doanra.load
	@if [ -e $(DESTDIR)$(APACHE_CONFDIR)/mods-available/doanra.conf ]; then \
	    echo "kept existing $(APACHE_CONFDIR)/mods-available/doanra.conf"; \
	else \
	    install -m 644 conf/doanra.conf $(DESTDIR)$(APACHE_CONFDIR)/mods-available/doanra.conf; \
	fi
	@echo "installed; next: a2enmod doanra && systemctl reload apache2 (see INSTALL)"

.PHONY: backend integration demo-stop

clean:
	rm -rf $(BUILD) $(BUILD).log mod_doanra.so mod_doanra/.libs mod_doanra/*.lo \
	       mod_doanra/*.slo mod_doanra/*.la mod_doanra/*.o

format:
	clang-format -i mod_doanra/*.c mod_doanra/*.h tests/unit/*.c

# Fragments: mk/sql.mk, mk/fuzz.mk, ... add targets and TEST_SUITES entries.
-include mk/*.mk
