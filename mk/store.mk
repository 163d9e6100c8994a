# mk/store.mk - the store's own tests: SQL quota race and the C store driver
# against a private PostgreSQL (tests/store/run).
.PHONY: test-store
test-store:
	@tests/store/run
