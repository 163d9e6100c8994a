"""conftest.py - pytest fixtures for the integration tests.

  env     (session) a private PostgreSQL with sql/install.sql and the test
          reference data, and a real Apache loading ./mod_doanra.so and the
          echo backend; see harness.Environment.  Its error log tail is
          printed at the end when a test failed (DOANRA_SHOW_LOG=1: always;
          DOANRA_KEEP=1 keeps the run directory).
  trip    (function) harness.valid_trip(): a delegation that passes.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

_failed = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        _failed.append(item.nodeid)


def pytest_collection_modifyitems(session, config, items):
    """Tests named test_zz_* (health checks over the whole run, e.g. no
    child crashed) go last, whichever file they are in."""
    items.sort(key=lambda item: item.name.startswith("test_zz_"))


@pytest.fixture(scope="session")
def env():
    e = harness.Environment()
    try:
        e.start()
    except Exception:
        e.stop(failed=True)
        raise
    yield e
    crashes = e.apache.crashes()
    e.stop(failed=bool(_failed or crashes))
    if crashes:
        sys.stderr.write("httpd children crashed:\n%s\n" % "\n".join(crashes))


@pytest.fixture
def trip():
    return harness.valid_trip()
