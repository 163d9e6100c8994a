# mk/sql.mk - make targets for mod_doanra's SQL (included by the Makefile).
#
#   make countries      regenerate sql/countries.sql from iso-codes and ICU
#   make test-sql       SQL tests: install/upgrade, countries, reports, roles
#                       (starts its own private PostgreSQL; pytest)
#   make sql-install    psql -f sql/install.sql against SQL_CONNINFO
#   make sql-demo-data  install, then load sql/demo-data.sql into SQL_CONNINFO
#
# SQL_CONNINFO is a libpq conninfo or URI, e.g.
#   make sql-install SQL_CONNINFO="host=127.0.0.1 port=55432 dbname=doanra user=postgres"

SQL_CONNINFO ?= dbname=doanra
SQL_PSQL     ?= psql -X -v ON_ERROR_STOP=1
# Debian's python3 has python3-pytest; a python3 earlier in PATH may not.
SQL_PYTHON   ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
SQL_FILES    := sql/install.sql sql/schema.sql sql/retired.sql sql/countries.sql \
                sql/lifecycle.sql sql/functions.sql sql/migrations.sql \
                sql/views.sql sql/journal.sql sql/roles.sql

.PHONY: countries test-sql sql-install sql-demo-data

countries: tools/gen-countries tools/gen-countries.c
	tools/gen-countries sql/countries.sql

test-sql: $(SQL_FILES)
	$(SQL_PYTHON) -m pytest -q tests/sql

sql-install: $(SQL_FILES)
	$(SQL_PSQL) -d "$(SQL_CONNINFO)" -f sql/install.sql

sql-demo-data: sql-install
	$(SQL_PSQL) -d "$(SQL_CONNINFO)" -f sql/demo-data.sql
