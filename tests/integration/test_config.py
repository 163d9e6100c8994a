"""test_config.py - `apachectl configtest` on small generated configs (SPEC
section 6): every directive accepts its documented values, a wrong value is
refused with a message naming the directive, and a location that enables the
module without DoanraDatabase is refused.  Needs the built module only, no
database and no running server."""
import os
import shutil
import subprocess
import tempfile

import pytest

from harness import APACHE_BIN, APACHE_MODULES, MODULE_SO, ROOT

BASE = """
ServerRoot "{run}"
ServerName 127.0.0.1
Listen 127.0.0.1:1
PidFile "{run}/httpd.pid"
ErrorLog "{run}/error.log"
DefaultRuntimeDir "{run}"
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule doanra_module "{so}"
"""

DB = 'DoanraDatabase "host=127.0.0.1 port=1 dbname=doanra user=doanra_module"\n'


@pytest.fixture(scope="module")
def rundir():
    if not os.path.exists(MODULE_SO):
        pytest.fail("not built: %s" % MODULE_SO)
    d = tempfile.mkdtemp(prefix="doanra-conf-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def configtest(rundir, body, db=True):
    conf = os.path.join(rundir, "httpd.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(BASE.format(run=rundir, mods=APACHE_MODULES, so=MODULE_SO))
        if db:
            f.write(DB)
        f.write(body)
    r = subprocess.run([APACHE_BIN, "-t", "-f", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, cwd=ROOT)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def in_location(*lines):
    return "<Location /x>\n%s\n</Location>\n" % "\n".join(lines)


GOOD = [
    "DoanraMode enforce", "DoanraMode report", "DoanraMode off",
    "DoanraField don_vi ten_don_vi", "DoanraField tv_ho_ten ho_ten",
    "DoanraMaxMembers 12", "DoanraMaxTripsPerYear 3",
    "DoanraMaxDaysPerCountry 4", "DoanraMaxCountries 2", "DoanraTravelDays 1",
    "DoanraRegionLevel subregion", "DoanraRegionLevel region",
    'DoanraKeyLeaderTitle "Bí thư" "Chủ tịch" "Phó Giám đốc"',
    "DoanraRuleSeverity region error", "DoanraRuleSeverity size warning",
    "DoanraRuleSeverity lead-time off", "DoanraRuleSeverity days-per-country error",
    "DoanraFormPage /doanra/", "DoanraBlockStatus 422", "DoanraBlockStatus 400",
    "DoanraShowPass on", "DoanraShowPass off",
    "DoanraLanguage vi", "DoanraLanguage en",
    "DoanraOnDatabaseError refuse", "DoanraOnDatabaseError allow",
    "DoanraMaxBody 1048576", "DoanraMinLeadDays 0", "DoanraMinLeadDays 10",
    "DoanraAcceptStatus 200-399", "DoanraAcceptStatus 200 303",
    "DoanraAcceptStatus 200-299 302 307-308",
    "DoanraOtherRequests refuse", "DoanraOtherRequests pass",
    "DoanraSameOrigin on", "DoanraSameOrigin off",
]


def test_every_directive_accepts_its_values(rundir):
    rc, out = configtest(rundir, in_location(*GOOD))
    assert rc == 0, out
    assert "Syntax OK" in out


@pytest.mark.parametrize("line", GOOD)
def test_each_good_value(rundir, line):
    rc, out = configtest(rundir, in_location(line))
    assert rc == 0, out


BAD = [
    ("DoanraMode", "DoanraMode on"),
    ("DoanraMode", "DoanraMode block"),
    ("DoanraMaxMembers", "DoanraMaxMembers ten"),
    ("DoanraMaxMembers", "DoanraMaxMembers -1"),
    ("DoanraMaxTripsPerYear", "DoanraMaxTripsPerYear two"),
    ("DoanraMaxDaysPerCountry", "DoanraMaxDaysPerCountry 3days"),
    ("DoanraMaxCountries", "DoanraMaxCountries x"),
    ("DoanraTravelDays", "DoanraTravelDays -2"),
    ("DoanraRegionLevel", "DoanraRegionLevel continent"),
    ("DoanraRuleSeverity", "DoanraRuleSeverity no-such-rule error"),
    ("DoanraRuleSeverity", "DoanraRuleSeverity size fatal"),
    ("DoanraField", "DoanraField no_such_field x"),
    ("DoanraBlockStatus", "DoanraBlockStatus abc"),
    ("DoanraBlockStatus", "DoanraBlockStatus 99"),
    # A "block" that is a success or a redirect would tell the browser (and
    # any proxy or script) that the submission went through.
    ("DoanraBlockStatus", "DoanraBlockStatus 200"),
    ("DoanraBlockStatus", "DoanraBlockStatus 302"),
    ("DoanraBlockStatus", "DoanraBlockStatus 399"),
    ("DoanraBlockStatus", "DoanraBlockStatus 100"),
    ("DoanraShowPass", "DoanraShowPass maybe"),
    ("DoanraLanguage", "DoanraLanguage fr"),
    ("DoanraOnDatabaseError", "DoanraOnDatabaseError ignore"),
    ("DoanraMaxBody", "DoanraMaxBody lots"),
    ("DoanraMaxBody", "DoanraMaxBody -5"),
    ("DoanraMinLeadDays", "DoanraMinLeadDays soon"),
    ("DoanraAcceptStatus", "DoanraAcceptStatus 2xx"),
    ("DoanraAcceptStatus", "DoanraAcceptStatus 99"),
    ("DoanraAcceptStatus", "DoanraAcceptStatus 600"),
    ("DoanraAcceptStatus", "DoanraAcceptStatus 399-200"),
    ("DoanraAcceptStatus", "DoanraAcceptStatus 200-"),
    ("DoanraAcceptStatus", "DoanraAcceptStatus -200"),
    ("DoanraOtherRequests", "DoanraOtherRequests allow"),
    ("DoanraSameOrigin", "DoanraSameOrigin strict"),
]


@pytest.mark.parametrize("directive,line", BAD, ids=[l for _, l in BAD])
def test_bad_value_is_refused(rundir, directive, line):
    rc, out = configtest(rundir, in_location("DoanraMode enforce", line))
    assert rc != 0, "accepted %r:\n%s" % (line, out)
    assert directive in out, out


def test_database_only_in_server_context(rundir):
    rc, out = configtest(rundir, in_location(DB.strip()), db=False)
    assert rc != 0
    assert "DoanraDatabase" in out


@pytest.mark.parametrize("mode", ["enforce", "report"])
def test_enabled_without_database_is_refused(rundir, mode):
    rc, out = configtest(rundir, in_location("DoanraMode " + mode), db=False)
    assert rc != 0, out
    assert "DoanraDatabase" in out, out


def test_enabled_in_a_virtual_host_without_database(rundir):
    body = ("<VirtualHost 127.0.0.1:1>\n" + in_location("DoanraMode enforce") +
            "</VirtualHost>\n")
    rc, out = configtest(rundir, body, db=False)
    assert rc != 0, out
    assert "DoanraDatabase" in out, out


def test_off_without_database_is_fine(rundir):
    rc, out = configtest(rundir, in_location("DoanraMode off"), db=False)
    assert rc == 0, out


def test_loaded_without_any_location_is_fine(rundir):
    rc, out = configtest(rundir, "", db=False)
    assert rc == 0, out


# ---- server-wide directives (SPEC section 6) --------------------------------

SERVER_GOOD = ["DoanraDatabaseTimeout 5", "DoanraDatabaseTimeout 2.5",
               "DoanraDatabaseTimeout 0.1", "DoanraMaxConnections 4",
               "DoanraMaxConnections 1", "DoanraJournal /var/lib/apache2/doanra",
               "DoanraJournal doanra-journal", "DoanraPreparedStatements On",
               "DoanraPreparedStatements off"]


@pytest.mark.parametrize("line", SERVER_GOOD)
def test_server_directive_good_value(rundir, line):
    rc, out = configtest(rundir, line + "\n" + in_location("DoanraMode enforce"))
    assert rc == 0, out


SERVER_BAD = [("DoanraDatabaseTimeout", "DoanraDatabaseTimeout 0"),
              ("DoanraDatabaseTimeout", "DoanraDatabaseTimeout five"),
              ("DoanraDatabaseTimeout", "DoanraDatabaseTimeout 5s"),
              ("DoanraDatabaseTimeout", "DoanraDatabaseTimeout 99999"),
              ("DoanraMaxConnections", "DoanraMaxConnections 0"),
              ("DoanraMaxConnections", "DoanraMaxConnections many"),
              ("DoanraMaxConnections", "DoanraMaxConnections -4"),
              ("DoanraJournal", 'DoanraJournal ""'),
              ("DoanraPreparedStatements", "DoanraPreparedStatements maybe")]


@pytest.mark.parametrize("directive,line", SERVER_BAD,
                         ids=[l for _, l in SERVER_BAD])
def test_server_directive_bad_value(rundir, directive, line):
    rc, out = configtest(rundir, line + "\n" + in_location("DoanraMode enforce"))
    assert rc != 0, "accepted %r:\n%s" % (line, out)
    assert directive in out, out


@pytest.mark.parametrize("line", ["DoanraDatabaseTimeout 5",
                                  "DoanraMaxConnections 4",
                                  "DoanraJournal /tmp/doanra-journal",
                                  "DoanraPreparedStatements Off"])
def test_server_directive_not_in_a_location(rundir, line):
    rc, out = configtest(rundir, in_location("DoanraMode enforce", line))
    assert rc != 0, out
    assert line.split()[0] in out, out
