# mk/layering.mk - make test-layering: the three layers, checked on the
# objects' imports (nm -u) rather than on the sources' #includes.
#
#   make test-layering   compile every source into build/layering/ (plain
#                        objects, as apxs compiles them but without libtool)
#                        and run tests/layering/check: no core object imports
#                        an ap_* (httpd) or PQ* (libpq) symbol or anything
#                        only the shell or the store defines; store.o imports
#                        no doanra_rules_*, doanra_render_*, doanra_trip_* or
#                        doanra_decision* symbol.  One test per check and
#                        object; part of `make test`.
LAYER_DIR    := $(BUILD)/layering
LAYER_HTTPD  := $(shell $(APXS) -q INCLUDEDIR 2>/dev/null)
LAYER_CFLAGS := -std=gnu11 -O1 $(WARN) -Imod_doanra $(APR_CFLAGS) \
                $(if $(LAYER_HTTPD),-I$(LAYER_HTTPD)) $(PQ_CFLAGS)
LAYER_CORE   := $(patsubst mod_doanra/%.c,$(LAYER_DIR)/%.o,$(CORE_SRCS))
LAYER_OUTER  := $(patsubst mod_doanra/%.c,$(LAYER_DIR)/%.o,$(SHELL_SRCS))

.PHONY: test-layering

$(LAYER_DIR)/%.o: mod_doanra/%.c $(HDRS)
	@mkdir -p $(LAYER_DIR)
	$(CC) $(LAYER_CFLAGS) -c -o $@ $<

test-layering: $(LAYER_CORE) $(LAYER_OUTER)
	@tests/layering/check --core $(LAYER_CORE) \
	    --shell $(filter-out %/store.o,$(LAYER_OUTER)) \
	    --store $(LAYER_DIR)/store.o

TEST_SUITES += test-layering
