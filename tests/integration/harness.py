"""harness.py - a private PostgreSQL and a real Apache httpd for mod_doanra's
integration tests, and the helpers the tests use to talk to them like a
browser and to read the rows like a report writer.

Python 3 standard library only.  The pieces:

  Postgres   initdb in a temporary directory (as the postgres user when run
             as root), a free port on 127.0.0.1, its unix socket in the same
             directory, sql/install.sql loaded, test reference data loaded.
  Apache     /usr/sbin/apache2 with a generated absolute config (own
             ServerRoot, PidFile, ErrorLog, DefaultRuntimeDir, Mutex dir,
             free high ports), the built ./mod_doanra.so and the echo backend
             (tests/backend), locations covering the SPEC (see LOCATIONS).
             Extra config snippets: tests/integration/conf.d/*.conf are
             included after substituting the @NAME@ placeholders below.
  Trip       a builder for a delegation that passes every rule (dates relative
             to today); tests change one thing and expect one finding.
  Response   status, headers, body, and parsers for the result block, the
             echo backend's report and the JSON check.

Placeholders in config snippets: @ROOT@ (repository), @RUN@ (this run's
directory), @BUILD@, @PORT@ (main port), @PORT2@ (the dead-database virtual
host), @PGPORT@, @CONNINFO@ (the module's conninfo), @MODULES@ (Debian's
module directory), @BACKENDPORT@ (a free port for a backend server that a
test starts itself, e.g. `php -S`; Apache.backend_port).

Other test suites can reuse this file:
    sys.path.insert(0, "<repo>/tests/integration"); import harness
    pg = harness.Postgres(); pg.start(); pg.psql("select 1"); pg.stop()
"""

import csv
import datetime
import glob
import html.parser
import http.client
import io
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
MODULE_SO = os.path.join(ROOT, "mod_doanra.so")
ECHO_SO = os.path.join(BUILD, "backend", "mod_doanra_echo.so")
APACHE_BIN = os.environ.get("DOANRA_APACHE", "/usr/sbin/apache2")
APACHE_MODULES = "/usr/lib/apache2/modules"
PG_BIN = os.environ.get("DOANRA_PG_BIN", "/usr/lib/postgresql/15/bin")
CONFD = os.path.join(ROOT, "tests", "integration", "conf.d")
IS_ROOT = os.geteuid() == 0


def free_port():
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15.0, proc_alive=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            if proc_alive is not None and not proc_alive():
                return False
            time.sleep(0.05)
    return False


def sql_literal(value):
    """Quote a Python value as an SQL literal (for test-built statements)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "ARRAY[" + ",".join(sql_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def _tail(path, lines=60):
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(data[-lines:])
    except OSError:
        return "(no %s)" % path


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

class Postgres:
    """A private PostgreSQL cluster: trust on loopback and its own socket."""

    def __init__(self, base=None, port=None, dbname="doanra"):
        self.base = base or tempfile.mkdtemp(prefix="doanra-pg-")
        self.data = os.path.join(self.base, "pgdata")
        self.sock = os.path.join(self.base, "pgsock")
        self.log = os.path.join(self.base, "postgres.log")
        self.port = port or free_port()
        self.dbname = dbname
        self.started = False

    def _as_pg(self, argv, **kw):
        if IS_ROOT:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, **kw)

    def start(self, install=True):
        os.makedirs(self.sock, exist_ok=True)
        os.chmod(self.base, 0o755)
        if IS_ROOT:
            shutil.chown(self.sock, "postgres", "postgres")
            os.makedirs(self.data, exist_ok=True)
            shutil.chown(self.data, "postgres", "postgres")
            # the log file lives beside the data dir; postgres must write it
            open(self.log, "a").close()
            shutil.chown(self.log, "postgres", "postgres")
        self._as_pg([os.path.join(PG_BIN, "initdb"), "-D", self.data,
                     "-A", "trust", "-U", "postgres", "-E", "UTF8",
                     "--locale=C.UTF-8", "--no-sync"])
        opts = ("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s"
                " -c fsync=off -c max_connections=200"
                % (self.port, self.sock))
        self._as_pg([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l",
                     self.log, "-o", opts, "-w", "-t", "60", "start"])
        self.started = True
        self.psql_admin("CREATE DATABASE %s" % self.dbname, db="postgres")
        if install:
            self.install()
        return self

    def install(self):
        self.run_file(os.path.join(ROOT, "sql", "install.sql"))

    def stop(self):
        if self.started:
            try:
                self._as_pg([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data,
                             "-m", "immediate", "-w", "stop"])
            except subprocess.CalledProcessError:
                pass
            self.started = False

    def conninfo(self, user="postgres"):
        return "host=127.0.0.1 port=%d dbname=%s user=%s connect_timeout=5" % (
            self.port, self.dbname, user)

    def _psql_argv(self, db=None, user="postgres"):
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                "-p", str(self.port), "-U", user, "-d", db or self.dbname]

    def run_file(self, path, user="postgres"):
        r = subprocess.run(self._psql_argv(user=user) + ["-f", path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError("psql -f %s failed:\n%s" % (
                path, r.stdout.decode("utf-8", "replace")))
        return r.stdout.decode("utf-8", "replace")

    def psql_admin(self, sql, db=None, user="postgres"):
        r = subprocess.run(self._psql_argv(db=db, user=user) + ["-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (
                sql, r.stdout.decode("utf-8", "replace")))

    def psql(self, sql, user="postgres"):
        """Run sql; return the rows of its last statement as tuples of str
        (NULL and '' both come back as '' - use psql_json to tell them
        apart)."""
        r = subprocess.run(self._psql_argv(user=user) + ["--csv", "-t"],
                           input=sql.encode("utf-8"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (
                sql, r.stderr.decode("utf-8", "replace")))
        text = r.stdout.decode("utf-8")
        return [tuple(row) for row in csv.reader(io.StringIO(text)) if row]

    def psql_json(self, sql, user="postgres"):
        """Rows of a SELECT as a list of dicts (typed through JSON)."""
        rows = self.psql("SELECT coalesce(json_agg(t), '[]') FROM (%s) t" % sql,
                         user=user)
        return json.loads(rows[0][0]) if rows else []

    def scalar(self, sql):
        rows = self.psql(sql)
        return rows[0][0] if rows and rows[0] else None

    def role_exists(self, role):
        return bool(self.psql("SELECT 1 FROM pg_roles WHERE rolname = %s"
                              % sql_literal(role)))


# Reference data every integration test can rely on: a unit that has a plan
# entry covering every common country for the years around today, a second
# unit, and a few officials (two key leaders).  Tests that need a trip to be
# "unplanned" use the unit NOPLAN.
TEST_UNIT = "TST"
TEST_UNIT_NAME = "Sở Kiểm thử"
PLAN_COUNTRIES = ["JP", "KR", "CN", "TH", "SG", "LA", "KH", "MY", "ID", "PH",
                  "MM", "BN", "TW", "HK", "MO", "MN", "KP", "FR", "DE", "NL",
                  "BE", "IT", "ES", "AT", "CH", "US", "CA", "AU", "NZ", "IN",
                  "RU", "GB", "CZ", "PL", "HU", "LU", "PT", "BR", "AR", "ZA"]


def reference_sql(today):
    years = [today.year - 1, today.year, today.year + 1, today.year + 2]
    out = [
        "INSERT INTO doanra.units(code, name) VALUES "
        "('TST', 'Sở Kiểm thử'), ('TST2', 'Ban Kiểm thử Hai'), "
        "('NOPLAN', 'Phòng Không Kế hoạch') ON CONFLICT DO NOTHING;",
        "INSERT INTO doanra.officials(code, full_name, unit_code, position, "
        "is_key_leader) VALUES "
        "('LD001', 'Trần Văn Lãnh', 'TST', 'Giám đốc', true), "
        "('LD002', 'Lê Thị Đạo', 'TST', 'Bí thư Đảng ủy', true), "
        "('CV001', 'Phạm Văn Viên', 'TST', 'Chuyên viên', false) "
        "ON CONFLICT DO NOTHING;",
    ]
    for y in years:
        out.append(
            "INSERT INTO doanra.plan_entries(code, year, unit_code, countries, "
            "period_from, period_to, purpose) VALUES (%s, %d, 'TST', %s::char(2)[], "
            "'%d-01-01', '%d-12-31', 'Kế hoạch kiểm thử') ON CONFLICT DO NOTHING;"
            % (sql_literal("KH-TST-%d" % y), y, sql_literal(PLAN_COUNTRIES), y, y))
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Apache
# ---------------------------------------------------------------------------

BASE_CONF = r"""
# Generated by tests/integration/harness.py - do not edit.
ServerRoot "@RUN@"
ServerName 127.0.0.1
Listen 127.0.0.1:@PORT@
Listen 127.0.0.1:@PORT2@
PidFile "@RUN@/httpd.pid"
ErrorLog "@RUN@/error.log"
LogLevel warn doanra:info
DefaultRuntimeDir "@RUN@"
Mutex file:@RUN@ default
@USER@

LoadModule mpm_event_module @MODULES@/mod_mpm_event.so
LoadModule authz_core_module @MODULES@/mod_authz_core.so
LoadModule mime_module @MODULES@/mod_mime.so
LoadModule dir_module @MODULES@/mod_dir.so
LoadModule alias_module @MODULES@/mod_alias.so
LoadModule cgid_module @MODULES@/mod_cgid.so
LoadModule headers_module @MODULES@/mod_headers.so
LoadModule filter_module @MODULES@/mod_filter.so
LoadModule deflate_module @MODULES@/mod_deflate.so
LoadModule proxy_module @MODULES@/mod_proxy.so
LoadModule proxy_http_module @MODULES@/mod_proxy_http.so
LoadModule rewrite_module @MODULES@/mod_rewrite.so
LoadModule doanra_echo_module "@BUILD@/backend/mod_doanra_echo.so"
LoadModule doanra_module "@ROOT@/mod_doanra.so"

StartServers 1
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
MaxConnectionsPerChild 0
Timeout 30
KeepAlive On

TypesConfig /etc/mime.types
AddDefaultCharset utf-8
ScriptSock "@RUN@/cgid.sock"
LogFormat "%h %t \"%r\" %>s %b %{X-Doanra-Decision}o %{X-Doanra-Submission}o %D" doanra
CustomLog "@RUN@/access.log" doanra

DocumentRoot "@RUN@/htdocs"
<Directory />
    Require all denied
    AllowOverride None
</Directory>
<Directory "@RUN@/htdocs">
    Require all granted
</Directory>
<Directory "@ROOT@/demo">
    Require all granted
</Directory>
<Directory "@ROOT@/tests/backend">
    Require all granted
</Directory>
DirectoryIndex index.html

DoanraDatabase "@CONNINFO@"

# The demo form, served statically; DoanraFormPage points here.
Alias /doanra/ "@ROOT@/demo/"

# A plain backend with the module off, target of the proxy location.
<Location /backend/echo>
    SetHandler doanra-echo
</Location>

@LOCATIONS@

# The dead-database virtual host: same locations, database unreachable.
<VirtualHost 127.0.0.1:@PORT2@>
    DoanraDatabase "host=127.0.0.1 port=@DEADPORT@ dbname=doanra user=postgres connect_timeout=2"
    <Location /refuse/submit>
        SetHandler doanra-echo
        DoanraMode enforce
    </Location>
    <Location /allow/submit>
        SetHandler doanra-echo
        DoanraMode enforce
        DoanraOnDatabaseError allow
    </Location>
    <Location /report/submit>
        SetHandler doanra-echo
        DoanraMode report
    </Location>
    <Location /doanra/check>
        SetHandler doanra-check
    </Location>
    <Location /allow/check>
        SetHandler doanra-check
        DoanraOnDatabaseError allow
    </Location>
</VirtualHost>

IncludeOptional "@RUN@/conf.d/*.conf"
"""

# Locations of the main server.  Each /X/submit has the echo backend behind
# it; each /X/check answers JSON with the same settings.
LOCATIONS = r"""
<Location /doanra/submit>
    SetHandler doanra-echo
    DoanraMode enforce
    DoanraFormPage /doanra/
</Location>
<Location /doanra/check>
    SetHandler doanra-check
</Location>

# Enforce without a form page: the built-in page.
<Location /plain/submit>
    SetHandler doanra-echo
    DoanraMode enforce
</Location>
<Location /formpage/submit>
    SetHandler doanra-echo
    DoanraMode enforce
    DoanraFormPage /doanra/
</Location>
<Location /report/submit>
    SetHandler doanra-echo
    DoanraMode report
</Location>
<Location /off/submit>
    SetHandler doanra-echo
    DoanraMode off
</Location>
<Location /showpass/submit>
    SetHandler doanra-echo
    DoanraMode enforce
    DoanraShowPass on
</Location>
<Location /status/submit>
    SetHandler doanra-echo
    DoanraMode enforce
    DoanraBlockStatus 409
</Location>
<Location /en/submit>
    SetHandler doanra-echo
    DoanraMode enforce
    DoanraLanguage en
</Location>
<Location /en/check>
    SetHandler doanra-check
    DoanraLanguage en
</Location>
<Location /smallbody/submit>
    SetHandler doanra-echo
    DoanraMode enforce
    DoanraMaxBody 4096
</Location>

# Custom limits.
<LocationMatch "^/limits/(submit|check)$">
    DoanraMaxMembers 4
    DoanraMaxDaysPerCountry 5
    DoanraMaxCountries 2
    DoanraTravelDays 1
    DoanraMaxTripsPerYear 1
    DoanraMinLeadDays 14
</LocationMatch>
<Location /limits/submit>
    SetHandler doanra-echo
    DoanraMode enforce
</Location>
<Location /limits/check>
    SetHandler doanra-check
</Location>

# Severity overrides and the continent-level region rule.
<LocationMatch "^/severity/(submit|check)$">
    DoanraRuleSeverity region error
    DoanraRuleSeverity size warning
    DoanraRuleSeverity funding off
</LocationMatch>
<Location /severity/submit>
    SetHandler doanra-echo
    DoanraMode enforce
</Location>
<Location /severity/check>
    SetHandler doanra-check
</Location>
<Location /continent/check>
    SetHandler doanra-check
    DoanraRegionLevel region
</Location>

# An existing form with its own field names.
<LocationMatch "^/fields/(submit|check)$">
    DoanraField don_vi unit
    DoanraField ngay_di departure
    DoanraField ngay_ve return
    DoanraField quoc_gia country
    DoanraField tv_ho_ten member
    DoanraField nguon_kinh_phi funding
</LocationMatch>
<Location /fields/submit>
    SetHandler doanra-echo
    DoanraMode enforce
</Location>
<Location /fields/check>
    SetHandler doanra-check
</Location>

# Key leader titles configured: deputies count.
<Location /titles/check>
    SetHandler doanra-check
    DoanraKeyLeaderTitle "Phó Giám đốc" "Giám đốc"
</Location>

# Inheritance: /nested/ enforces, /nested/inner/ overrides one limit.
<Location /nested>
    DoanraMode enforce
    DoanraMaxMembers 3
</Location>
<Location /nested/submit>
    SetHandler doanra-echo
</Location>
<Location /nested/inner/submit>
    SetHandler doanra-echo
    DoanraMaxMembers 5
</Location>

# A CGI backend: it needs Content-Length for the replayed body.
ScriptAlias /cgi/submit "@ROOT@/tests/backend/echo.cgi"
<Location /cgi/submit>
    DoanraMode enforce
</Location>

# A proxied backend (mod_proxy_http) - here the echo on this same server.
<Location /proxy/submit>
    DoanraMode enforce
    ProxyPass http://127.0.0.1:@PORT@/backend/echo
</Location>

# A front controller: per-directory rewrite = internal redirect.
Alias /fc/ "@RUN@/fc/"
<Directory "@RUN@/fc">
    Require all granted
    AddHandler doanra-echo .echo
    RewriteEngine On
    RewriteRule ^submit$ app.echo [L]
</Directory>
<Location /fc>
    DoanraMode enforce
</Location>
"""


class Apache:
    """A real httpd with a generated config, started in the background."""

    def __init__(self, run_dir, conninfo, locations=LOCATIONS, extra="",
                 pgport=0, confd=CONFD):
        self.run = run_dir
        self.port = free_port()
        self.port2 = free_port()
        self.deadport = free_port()
        self.backend_port = free_port()
        self.pgport = pgport
        self.conninfo = conninfo
        self.locations = locations
        self.extra = extra
        self.confd = confd
        self.conf = os.path.join(self.run, "httpd.conf")
        self.error_log = os.path.join(self.run, "error.log")
        self.access_log = os.path.join(self.run, "access.log")
        self.pidfile = os.path.join(self.run, "httpd.pid")
        self.started = False

    def subst(self, text):
        values = {
            "ROOT": ROOT, "RUN": self.run, "BUILD": BUILD,
            "PORT": str(self.port), "PORT2": str(self.port2),
            "DEADPORT": str(self.deadport), "PGPORT": str(self.pgport),
            "BACKENDPORT": str(self.backend_port),
            "CONNINFO": self.conninfo, "MODULES": APACHE_MODULES,
            "USER": "User www-data\nGroup www-data" if IS_ROOT else "",
        }
        for k, v in values.items():
            text = text.replace("@%s@" % k, v)
        return text

    def write_config(self):
        os.makedirs(os.path.join(self.run, "htdocs"), exist_ok=True)
        os.makedirs(os.path.join(self.run, "fc"), exist_ok=True)
        os.makedirs(os.path.join(self.run, "conf.d"), exist_ok=True)
        with open(os.path.join(self.run, "htdocs", "index.html"), "w") as f:
            f.write("<!DOCTYPE html><html><body><p>mod_doanra test server</p>"
                    "</body></html>\n")
        open(os.path.join(self.run, "fc", "app.echo"), "w").close()
        for path in sorted(glob.glob(os.path.join(self.confd, "*.conf"))):
            with open(path, encoding="utf-8") as f:
                text = self.subst(f.read())
            with open(os.path.join(self.run, "conf.d", os.path.basename(path)),
                      "w", encoding="utf-8") as f:
                f.write(text)
        conf = BASE_CONF.replace("@LOCATIONS@", self.locations + "\n" + self.extra)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(self.subst(conf))
        os.chmod(self.run, 0o755)

    def configtest(self):
        r = subprocess.run([APACHE_BIN, "-t", "-f", self.conf],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def start(self):
        self.write_config()
        rc, out = self.configtest()
        if rc != 0:
            raise RuntimeError("apache2 -t failed:\n%s" % out)
        r = subprocess.run([APACHE_BIN, "-f", self.conf, "-k", "start"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError("apache2 -k start failed:\n%s\n%s" % (
                r.stdout.decode("utf-8", "replace"), _tail(self.error_log)))
        self.started = True
        if not wait_port(self.port) or not wait_port(self.port2):
            raise RuntimeError("apache2 did not open its port:\n%s"
                               % _tail(self.error_log))
        return self

    def pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        if not self.started:
            return
        subprocess.run([APACHE_BIN, "-f", self.conf, "-k", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while os.path.exists(self.pidfile) and time.time() < deadline:
            time.sleep(0.05)
        self.started = False

    def graceful(self):
        """Reload the config (after changing conf.d files)."""
        self.write_config()
        subprocess.run([APACHE_BIN, "-f", self.conf, "-k", "graceful"],
                       check=True)
        time.sleep(0.5)
        wait_port(self.port)

    def error_log_text(self):
        try:
            with open(self.error_log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def crashes(self):
        """Lines of the error log that say a child died on a signal."""
        return [l for l in self.error_log_text().splitlines()
                if "exit signal" in l or "Segmentation fault" in l]


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class _BlockParser(html.parser.HTMLParser):
    """Reads the doanra-result block(s), the echo report and form inputs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = []   # dicts of attributes
        self.findings = []   # dicts: rule, severity, field, message
        self.pre = {}        # id -> text
        self.inputs = []     # (tag, attrs dict)
        self._li = None
        self._pre = None
        self._textarea = None
        self._option_select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "doanra-result" in (a.get("class") or "").split():
            self.sections.append(a)
        elif tag == "li" and "data-doanra-rule" in a:
            self._li = {"rule": a.get("data-doanra-rule"),
                        "severity": a.get("data-doanra-severity"),
                        "field": a.get("data-doanra-field"), "message": ""}
        elif tag == "pre" and a.get("id"):
            self._pre = a["id"]
            self.pre[self._pre] = ""
        elif tag in ("input", "select", "textarea"):
            self.inputs.append((tag, a))
            if tag == "textarea":
                self._textarea = a
                a["value"] = ""
            if tag == "select":
                self._option_select = a
                a.setdefault("value", None)
        elif tag == "option" and self._option_select is not None:
            if "selected" in a:
                self._option_select["value"] = a.get("value")

    def handle_endtag(self, tag):
        if tag == "li" and self._li is not None:
            self._li["message"] = self._li["message"].strip()
            self.findings.append(self._li)
            self._li = None
        elif tag == "pre":
            self._pre = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._option_select = None

    def handle_data(self, data):
        if self._li is not None:
            self._li["message"] += data
        if self._pre is not None:
            self.pre[self._pre] += data
        if self._textarea is not None:
            self._textarea["value"] += data


class Response:
    def __init__(self, status, reason, headers, raw):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value)
        self.raw = raw
        self.body = raw.decode("utf-8", "replace")
        self._parsed = None

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def parsed(self):
        if self._parsed is None:
            p = _BlockParser()
            p.feed(self.body)
            p.close()
            self._parsed = p
        return self._parsed

    @property
    def decision(self):
        """data-doanra-decision of the first result block, or None."""
        s = self.parsed.sections
        return s[0].get("data-doanra-decision") if s else None

    def blocks(self):
        return self.parsed.sections

    def findings(self):
        return self.parsed.findings

    def rules(self):
        return [f["rule"] for f in self.findings()]

    def finding(self, rule):
        for f in self.findings():
            if f["rule"] == rule:
                return f
        return None

    def echo(self):
        """The backend's report: dict of lower-case key -> value (repeated
        keys -> last value); None when the page is not the backend's."""
        if "echo" not in self.parsed.pre:
            return None
        out = {}
        for line in self.parsed.pre["echo"].splitlines():
            if ": " in line:
                k, v = line.split(": ", 1)
                out[k.strip().lower()] = v
            elif line.endswith(":"):
                out[line[:-1].strip().lower()] = ""
        return out

    def reached_backend(self):
        return self.header("X-Echo-Sha256") is not None

    def json(self):
        return json.loads(self.body)

    def input_value(self, name, index=0):
        """Value of the index-th form control named name (filled-back check)."""
        found = [a for tag, a in self.parsed.inputs if a.get("name") == name]
        if index >= len(found):
            return None
        return found[index].get("value")

    def __repr__(self):
        return "<Response %d %s, %d bytes>" % (self.status, self.reason, len(self.raw))


def encode_urlencoded(fields):
    return urllib.parse.urlencode(list(fields)).encode("ascii")


def encode_multipart(fields, files=()):
    """fields: (name, value) pairs; files: (name, filename, ctype, bytes)."""
    boundary = "----doanra" + uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                   % (boundary, name)).encode("utf-8"))
        out.write(value.encode("utf-8") if isinstance(value, str) else value)
        out.write(b"\r\n")
    for name, filename, ctype, data in files:
        out.write(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                   "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                   % (boundary, name, filename, ctype)).encode("utf-8"))
        out.write(data)
        out.write(b"\r\n")
    out.write(("--%s--\r\n" % boundary).encode("ascii"))
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


class Client:
    """HTTP to one host:port, one connection per request (like browsers on
    a form post, and so a test never sees another test's keep-alive state)."""

    def __init__(self, port, host="127.0.0.1"):
        self.host = host
        self.port = port

    @property
    def base_url(self):
        return "http://%s:%d" % (self.host, self.port)

    def request(self, method, path, body=None, headers=None, chunked=False,
                timeout=30):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        hdrs = dict(headers or {})
        try:
            if chunked and body is not None:
                data = body

                def pieces(size=7):
                    # Odd-sized chunks so nothing lines up with field edges.
                    for i in range(0, len(data), size):
                        yield data[i:i + size]
                hdrs["Transfer-Encoding"] = "chunked"
                conn.putrequest(method, path, skip_accept_encoding=True)
                for k, v in hdrs.items():
                    conn.putheader(k, v)
                conn.endheaders()
                for piece in pieces():
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.send(b"0\r\n\r\n")
            else:
                conn.putrequest(method, path, skip_accept_encoding=True)
                if body is not None:
                    hdrs.setdefault("Content-Length", str(len(body)))
                for k, v in hdrs.items():
                    conn.putheader(k, v)
                conn.endheaders(body)
            resp = conn.getresponse()
            raw = resp.read()
            return Response(resp.status, resp.reason, resp.getheaders(), raw)
        finally:
            conn.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, body, content_type, headers=None, chunked=False):
        h = {"Content-Type": content_type}
        h.update(headers or {})
        return self.request("POST", path, body=body, headers=h, chunked=chunked)

    def post_form(self, path, fields, multipart=False, chunked=False,
                  headers=None, files=()):
        """POST fields (list of (name, value) pairs, or a Trip) as a browser
        would; returns a Response."""
        if isinstance(fields, Trip):
            fields = fields.pairs()
        if multipart:
            body, ctype = encode_multipart(fields, files)
        else:
            body, ctype = encode_urlencoded(fields), "application/x-www-form-urlencoded"
        return self.post(path, body, ctype, headers=headers, chunked=chunked)

    def check(self, fields, path="/doanra/check", **kw):
        """POST to a doanra-check location; returns (status, parsed JSON or
        None, Response)."""
        r = self.post_form(path, fields, **kw)
        try:
            data = r.json()
        except ValueError:
            data = None
        return r.status, data, r


# ---------------------------------------------------------------------------
# A passing delegation
# ---------------------------------------------------------------------------

_seq = itertools.count(1)


def unique_suffix():
    """A short suffix that keeps each test's people apart, so one test's
    trips never count against another's members (member-overlap, quota)."""
    return "%s%04d" % (uuid.uuid4().hex[:6], next(_seq))


_GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hùng", "Khánh",
          "Lan", "Minh", "Nam", "Oanh", "Phúc", "Quang", "Sơn", "Thảo"]


def person_name(i=0, suffix=None):
    """A plausible Vietnamese full name, unique per call."""
    suffix = suffix or unique_suffix()
    return "Nguyễn Văn %s %s" % (_GIVEN[i % len(_GIVEN)], suffix)


class Trip:
    """A delegation as a form would submit it.  valid_trip() gives one that
    passes every rule; change one thing and expect one finding.

    Dates are datetime.date; pairs() writes them ISO or DD/MM/YYYY."""

    LEG_ROWS = 4
    MEMBER_ROWS = 10

    def __init__(self):
        self.don_vi = TEST_UNIT_NAME
        self.ma_don_vi = TEST_UNIT
        self.muc_dich = "Xúc tiến đầu tư, làm việc với đối tác về du lịch"
        self.doi_tac = "Tỉnh Kanagawa, Nhật Bản"
        self.ngay_di = None
        self.ngay_ve = None
        self.nguon_kinh_phi = "ngan_sach"
        self.du_toan = "350.000.000"
        self.ma_ke_hoach = ""
        self.ly_do_phat_sinh = ""
        self.legs = []       # [country, from date, to date]
        self.members = []    # dicts: name, code, position, unit
        self.extra = []      # extra (name, value) pairs appended
        self.datefmt = "iso"

    # -- changes ------------------------------------------------------------
    def set_dates(self, start, legs_days, countries=("JP",), travel=1):
        """Departure on start; each leg lasts legs_days[i] days in
        countries[i]; `travel` days before, between and after legs."""
        self.ngay_di = start
        self.legs = []
        day = start + datetime.timedelta(days=travel)
        for i, n in enumerate(legs_days):
            frm = day
            to = frm + datetime.timedelta(days=n - 1)
            self.legs.append([countries[i], frm, to])
            day = to + datetime.timedelta(days=travel + 1)
        self.ngay_ve = self.legs[-1][2] + datetime.timedelta(days=travel)
        return self

    def add_member(self, name=None, code="", position="Chuyên viên", unit=""):
        self.members.append({"name": name or person_name(len(self.members)),
                             "code": code, "position": position, "unit": unit})
        return self

    def with_members(self, n, **kw):
        self.members = []
        for _ in range(n):
            self.add_member(**kw)
        return self

    # -- output -------------------------------------------------------------
    def fmt(self, d):
        if d is None:
            return ""
        if isinstance(d, str):
            return d
        if self.datefmt == "vn":
            return d.strftime("%d/%m/%Y")
        return d.isoformat()

    def pairs(self, names=None, brackets=True, pad=True):
        """The form's name/value pairs in document order.  names remaps
        default names (like DoanraField); brackets sends row fields as
        name[]; pad adds the blank rows a real form ships."""
        names = names or {}

        def n(key, row=False):
            name = names.get(key, key)
            return name + "[]" if (row and brackets) else name
        out = [(n("don_vi"), self.don_vi), (n("ma_don_vi"), self.ma_don_vi),
               (n("muc_dich"), self.muc_dich), (n("doi_tac"), self.doi_tac),
               (n("ngay_di"), self.fmt(self.ngay_di)),
               (n("ngay_ve"), self.fmt(self.ngay_ve)),
               (n("nguon_kinh_phi"), self.nguon_kinh_phi),
               (n("du_toan"), self.du_toan),
               (n("ma_ke_hoach"), self.ma_ke_hoach),
               (n("ly_do_phat_sinh"), self.ly_do_phat_sinh)]
        legs = list(self.legs)
        if pad:
            legs += [["", "", ""]] * max(0, self.LEG_ROWS - len(legs))
        for c, frm, to in legs:
            out += [(n("quoc_gia", True), c), (n("tu_ngay", True), self.fmt(frm)),
                    (n("den_ngay", True), self.fmt(to))]
        members = list(self.members)
        if pad:
            members += [{"name": "", "code": "", "position": "", "unit": ""}] * \
                max(0, self.MEMBER_ROWS - len(members))
        for m in members:
            out += [(n("tv_ho_ten", True), m["name"]), (n("tv_ma", True), m["code"]),
                    (n("tv_chuc_vu", True), m["position"]),
                    (n("tv_don_vi", True), m["unit"])]
        return out + list(self.extra)

    def without(self, *names):
        """pairs() minus every pair whose name (without []) is in names."""
        return [(k, v) for k, v in self.pairs() if k.rstrip("[]") not in names]


def today():
    return datetime.date.today()


def valid_trip(days_ahead=30, members=2):
    """A delegation of the test unit that passes every rule: leaves in
    days_ahead days, 3 programme days in Japan with a travel day either
    side, `members` ordinary officials with fresh names, state budget with
    an estimate, covered by the unit's plan entry."""
    t = Trip()
    t.set_dates(today() + datetime.timedelta(days=days_ahead), [3], ["JP"])
    t.with_members(members)
    return t


def d(days):
    """today + days."""
    return today() + datetime.timedelta(days=days)


# ---------------------------------------------------------------------------
# The whole test environment
# ---------------------------------------------------------------------------

class Environment:
    """PostgreSQL + Apache for one pytest session; the fixture `env`."""

    def __init__(self, locations=LOCATIONS, extra=""):
        self.dir = tempfile.mkdtemp(prefix="doanra-it-")
        os.chmod(self.dir, 0o755)
        self.pg = Postgres(base=os.path.join(self.dir, "pg"))
        os.makedirs(self.pg.base, exist_ok=True)
        self.run = os.path.join(self.dir, "httpd")
        os.makedirs(self.run, exist_ok=True)
        self.locations = locations
        self.extra = extra
        self.apache = None
        self.client = None
        self.dead = None

    def start(self):
        missing = [p for p in (MODULE_SO, ECHO_SO) if not os.path.exists(p)]
        if missing:
            raise RuntimeError("not built: %s (run make and make backend)"
                               % ", ".join(missing))
        self.pg.start()
        self.pg.psql(reference_sql(today()))
        # The module connects as a login role in doanra_module, with only the
        # rights install.sql grants (as INSTALL tells admins to set it up).
        user = "postgres"
        if self.pg.role_exists("doanra_module"):
            self.pg.psql_admin("DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles "
                               "WHERE rolname = 'doanra_test') THEN CREATE ROLE "
                               "doanra_test LOGIN IN ROLE doanra_module; END IF; END$$")
            user = "doanra_test"
        self.apache = Apache(self.run, self.pg.conninfo(user), self.locations,
                             self.extra, pgport=self.pg.port)
        self.apache.start()
        self.client = Client(self.apache.port)
        self.dead = Client(self.apache.port2)
        return self

    def stop(self, failed=False):
        if self.apache:
            if failed or os.environ.get("DOANRA_SHOW_LOG"):
                sys.stderr.write("\n---- apache error log (tail) ----\n%s\n"
                                 % _tail(self.apache.error_log, 80))
            self.apache.stop()
        self.pg.stop()
        if not os.environ.get("DOANRA_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            sys.stderr.write("kept test run in %s\n" % self.dir)

    # conveniences for tests
    def post_form(self, path, fields, **kw):
        return self.client.post_form(path, fields, **kw)

    def check(self, fields, path="/doanra/check", **kw):
        return self.client.check(fields, path, **kw)

    def get(self, path, headers=None):
        return self.client.get(path, headers)

    def psql(self, sql):
        return self.pg.psql(sql)

    def psql_json(self, sql):
        return self.pg.psql_json(sql)

    def submission(self, sid):
        rows = self.pg.psql_json("SELECT * FROM doanra.submissions WHERE id = %d"
                                 % int(sid))
        return rows[0] if rows else None

    def trip_of(self, sid):
        rows = self.pg.psql_json("SELECT * FROM doanra.trips WHERE submission_id = %d"
                                 % int(sid))
        return rows[0] if rows else None

    def wait_for(self, fn, timeout=15.0, interval=0.05):
        """Poll fn() until it returns something truthy (settling happens
        after the response is sent); returns the last value."""
        deadline = time.time() + timeout
        v = fn()
        while not v and time.time() < deadline:
            time.sleep(interval)
            v = fn()
        return v

    def wait_trip_status(self, sid, status, timeout=5.0):
        def f():
            t = self.trip_of(sid)
            return t if t and t.get("status") == status else None
        return self.wait_for(f, timeout) or self.trip_of(sid)


# ---------------------------------------------------------------------------
# Assertions shared by the test files
# ---------------------------------------------------------------------------

def json_rules(data, severity=None):
    """Rule ids of a JSON check answer (optionally of one severity)."""
    return [v["rule"] for v in (data or {}).get("violations", [])
            if severity is None or v.get("severity") == severity]


def json_violation(data, rule):
    for v in (data or {}).get("violations", []):
        if v.get("rule") == rule:
            return v
    return None


def field_name(f):
    """A finding's field without a trailing [] (forms may send either)."""
    return (f or "").rstrip("[]") if f else f


def expect_check(env, fields, rule, severity="error", path="/doanra/check"):
    """The JSON check finds `rule` with `severity`; returns the violation."""
    status, data, r = env.check(fields, path)
    assert status == 200, "check answered %d: %s" % (status, r.body[:500])
    assert r.header("Content-Type", "").startswith("application/json")
    v = json_violation(data, rule)
    assert v is not None, "no %s violation in %s" % (rule, data)
    assert v["severity"] == severity, v
    assert v["message"], v
    if severity == "error":
        assert data["decision"] == "fail", data
    elif data["decision"] != "fail":
        assert data["decision"] == "warn", data
    return v


def expect_check_pass(env, fields, path="/doanra/check", allow=()):
    """The JSON check passes (ignoring rules in allow)."""
    status, data, r = env.check(fields, path)
    assert status == 200, "check answered %d: %s" % (status, r.body[:500])
    left = [v for v in data.get("violations", []) if v["rule"] not in allow]
    assert not left, left
    if not allow:
        assert data["decision"] == "pass", data
    return data


def expect_blocked(env, fields, rule, path="/doanra/submit", status=422, **kw):
    """enforce + fail: the backend is not called, the answer has the block
    status and the finding."""
    r = env.post_form(path, fields, **kw)
    assert r.status == status, "%r: %s" % (r, r.body[:800])
    assert not r.reached_backend(), "backend was called for a failing trip"
    assert r.decision == "fail", r.body[:800]
    f = r.finding(rule)
    assert f is not None, "no %s finding in %s" % (rule, r.findings())
    assert f["severity"] == "error"
    assert r.header("X-Doanra-Decision") == "fail"
    return r


def expect_passed(env, fields, path="/doanra/submit", decision="pass", **kw):
    """The backend answered, with X-Doanra-Decision `decision`."""
    r = env.post_form(path, fields, **kw)
    assert r.status == 200, "%r: %s" % (r, r.body[:800])
    assert r.reached_backend(), r.body[:800]
    assert r.header("X-Doanra-Decision") == decision, (
        r.header("X-Doanra-Decision"), r.findings())
    return r
