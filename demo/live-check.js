/*
 * demo/live-check.js - optional live checking for the "Đăng ký đoàn ra"
 * form: while the official fills it in, the form is sent to mod_doanra's
 * JSON check (SetHandler doanra-check, /doanra/check in the demo) and the
 * findings are shown before anything is submitted.
 *
 *   <script src="/doanra/live-check.js" defer></script>
 *
 * The form never depends on it.  Without JavaScript, on a browser too old
 * for it, or when the check does not answer, nothing changes: the form posts
 * as before and the module checks the submission for real.  The script never
 * listens to submit, so it cannot hold a submission back.
 *
 * What it does, for each POST form that has the module's default fields:
 *
 *   - on change and blur (debounced), serialise the form exactly as the
 *     browser would submit it (urlencoded, same names, same order) and POST
 *     it to the check URL with XMLHttpRequest;
 *   - show the findings in a live region (role="status", aria-live="polite")
 *     near the top of the form, each item carrying the block's data
 *     attributes (data-doanra-rule, -severity, -field, -row);
 *   - mark the control a finding is about with aria-invalid and a short
 *     message beside it (aria-describedby), and clear both once fixed.
 *
 * Findings are only shown for controls the official has already visited
 * (or that came back filled in): nobody wants to read "purpose is missing"
 * or "no reason for an unplanned trip" while still choosing the unit; the
 * rest is counted ("N more in fields not filled in yet").  Server text is
 * only ever set with textContent.
 *
 * Written for old browsers: ES5, no fetch, no arrow functions, no template
 * strings; non-ASCII text is written as \u escapes so the file reads the
 * same whatever charset the host page declares.  The check URL is the
 * form's data-doanra-check attribute, else this script's own URL with
 * "live-check.js" replaced by "check".
 */
(function () {
    'use strict';

    if (!window.XMLHttpRequest || !window.JSON || !document.addEventListener ||
        !document.querySelectorAll || !('textContent' in document.documentElement)) {
        return;
    }

    /* Wait this long after the last edit before asking: one request per
     * pause in typing, not one per keystroke. */
    var DELAY_MS = 400;
    var TIMEOUT_MS = 10000;
    var TOUCHED = 'doanraLiveTouched';

    /* The host page's language picks the texts (the check itself answers in
     * the language its location is configured for). */
    var TEXTS = {
        vi: {
            /* "Kiểm tra nhanh trước khi gửi: " */
            head: 'Ki\u1EC3m tra nhanh tr\u01B0\u1EDBc khi g\u1EEDi: ',
            /* "N lỗi cần sửa" */
            errors: ' l\u1ED7i c\u1EA7n s\u1EEDa',
            /* "N lưu ý" */
            warnings: ' l\u01B0u \u00FD',
            /* "chưa thấy lỗi ở các mục đã nhập" */
            clean: 'ch\u01B0a th\u1EA5y l\u1ED7i \u1EDF c\u00E1c m\u1EE5c \u0111\u00E3 nh\u1EADp',
            /* "Còn N điểm ở các mục chưa nhập." */
            pendingA: ' C\u00F2n ',
            pendingB: ' \u0111i\u1EC3m \u1EDF c\u00E1c m\u1EE5c ch\u01B0a nh\u1EADp.',
            /* "Hồ sơ vẫn được kiểm tra lại khi gửi." */
            note: ' H\u1ED3 s\u01A1 v\u1EABn \u0111\u01B0\u1EE3c ki\u1EC3m tra l\u1EA1i khi g\u1EEDi.'
        },
        en: {
            head: 'Quick check before sending: ',
            errors: ' error(s) to fix',
            warnings: ' warning(s)',
            clean: 'no problems found in the fields filled in so far',
            pendingA: ' ',
            pendingB: ' more in fields not filled in yet.',
            note: ' The request is checked again when it is sent.'
        }
    };

    /* Scoped class names; labels come from CSS generated content, as in the
     * module's own block, so each item's text is exactly the message. */
    var CSS =
        '.doanra-live-on{margin:1em 0;padding:.6em 1em;border:1px solid #9aa5b4;' +
        'border-left:6px solid #1b7f3b;background:#f4f6fa;font-size:.95em;line-height:1.45}' +
        '.doanra-live-on.doanra-live-fail{border-left-color:#b00020}' +
        '.doanra-live-on.doanra-live-warn{border-left-color:#9a5b00}' +
        '.doanra-live p{margin:0;font-weight:bold}' +
        '.doanra-live ul{margin:.3em 0 0;padding:0 0 0 1.25em}' +
        '.doanra-live li{margin:.2em 0;word-wrap:break-word;overflow-wrap:break-word}' +
        '.doanra-live li:before{font-weight:bold}' +
        '.doanra-live li[data-doanra-severity="error"]:before{content:"L\\1ED7i: ";color:#b00020}' +
        '.doanra-live li[data-doanra-severity="warning"]:before{content:"L\\1B0u \\FD: ";color:#8a5200}' +
        '.doanra-live[lang="en"] li[data-doanra-severity="error"]:before{content:"Error: "}' +
        '.doanra-live[lang="en"] li[data-doanra-severity="warning"]:before{content:"Warning: "}' +
        '.doanra-live-msg{display:block;margin:.15em 0 .3em;color:#b00020;font-weight:normal;' +
        'font-size:.9em}' +
        '.doanra-live-msg[data-doanra-severity="warning"]{color:#8a5200}' +
        'input[aria-invalid="true"],select[aria-invalid="true"],textarea[aria-invalid="true"]{' +
        'border-color:#b00020;box-shadow:0 0 0 1px #b00020}';

    var msgCounter = 0;

    function lang() {
        var l = (document.documentElement.getAttribute('lang') || 'vi').toLowerCase();
        return l.indexOf('en') === 0 ? 'en' : 'vi';
    }

    function baseName(name) {
        return name.length > 2 && name.slice(-2) === '[]' ? name.slice(0, -2) : name;
    }

    function hasClass(el, c) {
        return (' ' + (el.className || '') + ' ').indexOf(' ' + c + ' ') >= 0;
    }

    function removeNode(n) {
        if (n && n.parentNode) {
            n.parentNode.removeChild(n);
        }
    }

    function skipped(el) {
        var type = (el.type || '').toLowerCase();
        return !el.name || el.disabled || type === 'file' || type === 'submit' ||
            type === 'button' || type === 'reset' || type === 'image';
    }

    /* name=value pairs in document order, as the browser submits them. */
    function serialize(form) {
        var parts = [], els = form.elements, i, j, el, type;

        function add(name, value) {
            parts.push(encodeURIComponent(name).replace(/%20/g, '+') + '=' +
                       encodeURIComponent(value).replace(/%20/g, '+'));
        }
        for (i = 0; i < els.length; i++) {
            el = els[i];
            if (skipped(el)) {
                continue;
            }
            type = (el.type || '').toLowerCase();
            if ((type === 'checkbox' || type === 'radio') && !el.checked) {
                continue;
            }
            if (el.nodeName.toLowerCase() === 'select') {
                for (j = 0; j < el.options.length; j++) {
                    if (el.options[j].selected && !el.options[j].disabled) {
                        add(el.name, el.options[j].value);
                    }
                }
                continue;
            }
            add(el.name, el.value);
        }
        return parts.join('&');
    }

    /* Controls by base name; the n-th control of a name is row n. */
    function controlsByName(form) {
        var map = {}, els = form.elements, i, b;
        for (i = 0; i < els.length; i++) {
            if (skipped(els[i])) {
                continue;
            }
            b = baseName(els[i].name);
            if (!map.hasOwnProperty(b)) {
                map[b] = [];
            }
            map[b].push(els[i]);
        }
        return map;
    }

    /* A finding about row r is about the r-th control; a field-level one
     * (row 0) about the first, as the module's refill places them. */
    function controlFor(map, v) {
        var list = v && typeof v.field === 'string' && map.hasOwnProperty(v.field) ? map[v.field] : null;
        var row = v && typeof v.row === 'number' && v.row > 0 ? v.row : 1;
        return list && row <= list.length ? list[row - 1] : null;
    }

    function describedBy(el) {
        var s = el.getAttribute('aria-describedby');
        return s ? s.split(/\s+/) : [];
    }

    function setDescribedBy(el, ids) {
        var kept = [], i;
        for (i = 0; i < ids.length; i++) {
            if (ids[i]) {
                kept.push(ids[i]);
            }
        }
        if (kept.length) {
            el.setAttribute('aria-describedby', kept.join(' '));
        } else {
            el.removeAttribute('aria-describedby');
        }
    }

    function LiveForm(form, url) {
        this.form = form;
        this.url = url;
        this.timer = null;
        this.xhr = null;
        this.seq = 0;
        this.lastBody = null;
        this.last = null;     /* the last answer: {decision, violations} */
        this.marked = [];     /* {el, ids} we set */
        this.region = this.makeRegion();
        this.touchFilled();
        var self = this;
        function onEdit(e) {
            var t = e.target;
            if (t && t.name && t.form === form) {
                t[TOUCHED] = true;
                self.schedule();
            }
        }
        form.addEventListener('change', onEdit, false);
        /* blur does not bubble; listen while it is captured. */
        form.addEventListener('blur', onEdit, true);
    }

    LiveForm.prototype.makeRegion = function () {
        var region = document.createElement('div');
        var block = this.form.querySelector('section.doanra-result');
        region.className = 'doanra-live';
        region.setAttribute('role', 'status');
        region.setAttribute('aria-live', 'polite');
        region.setAttribute('lang', lang());
        /* Below the module's own result block when the page has one: the
         * last real answer stays first. */
        if (block && block.parentNode) {
            block.parentNode.insertBefore(region, block.nextSibling);
        } else {
            this.form.insertBefore(region, this.form.firstChild);
        }
        return region;
    };

    /* A page the module filled back in: what is already there counts as
     * visited, so missing companions of it are reported at once. */
    LiveForm.prototype.touchFilled = function () {
        var els = this.form.elements, i, el, type;
        for (i = 0; i < els.length; i++) {
            el = els[i];
            type = (el.type || '').toLowerCase();
            if (skipped(el) || type === 'hidden' || type === 'checkbox' || type === 'radio') {
                continue;
            }
            if (el.value !== '' || el.getAttribute('aria-invalid') === 'true') {
                el[TOUCHED] = true;
            }
        }
    };

    LiveForm.prototype.schedule = function () {
        var self = this;
        if (this.timer) {
            clearTimeout(this.timer);
        }
        this.timer = setTimeout(function () {
            self.timer = null;
            self.run();
        }, DELAY_MS);
    };

    LiveForm.prototype.run = function () {
        var body = serialize(this.form), self = this, my, xhr;
        /* Same content, only a newly visited field: no need to ask again. */
        if (body === this.lastBody && this.last) {
            this.render(this.last);
            return;
        }
        if (this.xhr) {
            this.xhr.onreadystatechange = null;
            try { this.xhr.abort(); } catch (ignore) { /* already done */ }
        }
        my = ++this.seq;
        xhr = new XMLHttpRequest();
        this.xhr = xhr;
        try {
            xhr.open('POST', this.url, true);
            xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
            xhr.setRequestHeader('Accept', 'application/json');
            try { xhr.timeout = TIMEOUT_MS; } catch (ignore2) { /* old XHR */ }
        } catch (e) {
            return;
        }
        xhr.onreadystatechange = function () {
            var data = null;
            if (xhr.readyState !== 4 || my !== self.seq) {
                return;
            }
            self.xhr = null;
            if (xhr.status === 200) {
                try {
                    data = JSON.parse(xhr.responseText);
                } catch (e2) {
                    data = null;
                }
            }
            if (data && typeof data.decision === 'string' &&
                Object.prototype.toString.call(data.violations) === '[object Array]') {
                self.lastBody = body;
                self.last = data;
                self.render(data);
            } else {
                /* No answer worth showing: say nothing rather than guess. */
                self.clear();
            }
        };
        try {
            xhr.send(body);
        } catch (e3) {
            this.xhr = null;
        }
    };

    /* Remove our marks, and the module's own marks from the last submission:
     * from now on the live answer is the current one. */
    LiveForm.prototype.clearMarks = function () {
        var i, j, m, ids, keep, n, invalid;
        for (i = 0; i < this.marked.length; i++) {
            m = this.marked[i];
            ids = describedBy(m.el);
            keep = [];
            for (j = 0; j < ids.length; j++) {
                if (m.ids.indexOf(ids[j]) < 0) {
                    keep.push(ids[j]);
                }
            }
            setDescribedBy(m.el, keep);
            m.el.removeAttribute('aria-invalid');
            for (j = 0; j < m.ids.length; j++) {
                removeNode(document.getElementById(m.ids[j]));
            }
        }
        this.marked = [];
        invalid = this.form.querySelectorAll('[aria-invalid="true"]');
        for (i = 0; i < invalid.length; i++) {
            ids = describedBy(invalid[i]);
            keep = [];
            for (j = 0; j < ids.length; j++) {
                n = document.getElementById(ids[j]);
                if (n && hasClass(n, 'doanra-field-msg')) {
                    removeNode(n);
                } else {
                    keep.push(ids[j]);
                }
            }
            setDescribedBy(invalid[i], keep);
            invalid[i].removeAttribute('aria-invalid');
        }
    };

    LiveForm.prototype.clear = function () {
        this.clearMarks();
        while (this.region.firstChild) {
            this.region.removeChild(this.region.firstChild);
        }
        this.region.className = 'doanra-live';
    };

    LiveForm.prototype.mark = function (el, v) {
        var id = 'doanra-live-msg-' + (++msgCounter), span = document.createElement('span'), m = null, i;
        span.id = id;
        span.className = 'doanra-live-msg';
        span.setAttribute('data-doanra-rule', String(v.rule || ''));
        span.setAttribute('data-doanra-severity', String(v.severity || ''));
        span.textContent = String(v.message || '');
        /* After the control and after messages already placed beside it. */
        var after = el;
        while (after.nextSibling && after.nextSibling.nodeType === 1 &&
               hasClass(after.nextSibling, 'doanra-live-msg')) {
            after = after.nextSibling;
        }
        after.parentNode.insertBefore(span, after.nextSibling);
        for (i = 0; i < this.marked.length; i++) {
            if (this.marked[i].el === el) {
                m = this.marked[i];
            }
        }
        if (!m) {
            m = {el: el, ids: []};
            this.marked.push(m);
        }
        m.ids.push(id);
        el.setAttribute('aria-invalid', 'true');
        setDescribedBy(el, describedBy(el).concat([id]));
    };

    LiveForm.prototype.render = function (data) {
        var t = TEXTS[lang()], map = controlsByName(this.form), shown = [];
        var errors = 0, warnings = 0, pending = 0, i, v, el, p, ul, li, summary;

        this.clear();
        for (i = 0; i < data.violations.length; i++) {
            v = data.violations[i];
            if (!v || typeof v !== 'object') {
                continue;
            }
            el = controlFor(map, v);
            if (el && !el[TOUCHED]) {
                pending++;
                continue;
            }
            if (v.severity === 'error') {
                errors++;
            } else {
                warnings++;
            }
            shown.push(v);
            if (el) {
                this.mark(el, v);
            }
        }

        summary = t.head;
        if (errors || warnings) {
            summary += errors ? errors + t.errors : '';
            summary += errors && warnings ? ', ' : '';
            summary += warnings ? warnings + t.warnings : '';
            summary += '.';
        } else {
            summary += t.clean + '.';
        }
        if (pending) {
            summary += t.pendingA + pending + t.pendingB;
        }
        summary += t.note;

        p = document.createElement('p');
        p.textContent = summary;
        this.region.appendChild(p);
        if (shown.length) {
            ul = document.createElement('ul');
            for (i = 0; i < shown.length; i++) {
                v = shown[i];
                li = document.createElement('li');
                li.setAttribute('data-doanra-rule', String(v.rule || ''));
                li.setAttribute('data-doanra-severity', String(v.severity || ''));
                li.setAttribute('data-doanra-field', String(v.field || ''));
                if (typeof v.row === 'number' && v.row > 0) {
                    li.setAttribute('data-doanra-row', String(v.row));
                }
                li.textContent = String(v.message || '');
                ul.appendChild(li);
            }
            this.region.appendChild(ul);
        }
        this.region.className = 'doanra-live doanra-live-on' +
            (errors ? ' doanra-live-fail' : warnings ? ' doanra-live-warn' : '');
    };

    function checkUrl(form) {
        var u = form.getAttribute('data-doanra-check'), scripts, s, i;
        if (u) {
            return u;
        }
        scripts = document.getElementsByTagName('script');
        for (i = 0; i < scripts.length; i++) {
            s = scripts[i].getAttribute('src') || '';
            if (/live-check\.js(\?.*)?$/.test(s)) {
                return s.replace(/live-check\.js(\?.*)?$/, 'check');
            }
        }
        return '/doanra/check';
    }

    function isDoanraForm(form) {
        var names = ['don_vi', 'ma_don_vi', 'tv_ho_ten', 'tv_ho_ten[]'], i;
        if ((form.getAttribute('method') || '').toLowerCase() !== 'post') {
            return false;
        }
        for (i = 0; i < names.length; i++) {
            if (form.elements[names[i]]) {
                return true;
            }
        }
        return !!form.getAttribute('data-doanra-check');
    }

    function start() {
        var forms = document.getElementsByTagName('form'), found = [], i, style;
        for (i = 0; i < forms.length; i++) {
            if (isDoanraForm(forms[i])) {
                found.push(forms[i]);
            }
        }
        if (!found.length) {
            return;
        }
        style = document.createElement('style');
        style.appendChild(document.createTextNode(CSS));
        (document.head || document.getElementsByTagName('head')[0] || document.documentElement)
            .appendChild(style);
        for (i = 0; i < found.length; i++) {
            new LiveForm(found[i], checkUrl(found[i]));
        }
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', start, false);
    } else {
        start();
    }
}());
