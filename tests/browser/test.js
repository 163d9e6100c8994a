/*
 * tests/browser/test.js - the demo form in a real browser: headless Debian
 * Chromium, driven by playwright-core, fills "Đăng ký đoàn ra" as an
 * official would, submits, and checks what the official sees.
 *
 *   node tests/browser/test.js http://127.0.0.1:PORT ARTIFACT_DIR PROFILE_DIR
 *
 * Normally started by tests/browser/run (make test-browser), which starts
 * the demo on free ports with a fresh database.  Prints one line per test
 * and ends with "browser: N passed, N failed".  Screenshots go to
 * ARTIFACT_DIR.
 *
 * The trips use year Y+1 (the demo plan covers last year, this year and
 * next), members who are not key leaders and have no trips then, so the
 * corrected trip passes on any day it is run.
 */
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = (process.argv[2] || 'http://127.0.0.1:8080').replace(/\/$/, '');
const ARTIFACTS = process.argv[3] || path.join(__dirname, '..', '..', 'build', 'artifacts', 'browser');
const PROFILE = process.argv[4] || path.join(__dirname, '..', '..', 'build', 'browser-run', 'chromium');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
              '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DESKTOP = { width: 1280, height: 900 };
const STEP_MS = 10000;

const Y = new Date().getFullYear() + 1;
const d = (mmdd) => `${Y}-${mmdd}`;

fs.mkdirSync(ARTIFACTS, { recursive: true });

function assert(cond, msg) {
    if (!cond) throw new Error(msg);
}
function eq(actual, expected, what) {
    if (actual !== expected)
        throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/* One fresh profile directory per browser launched. */
let launches = 0;
async function launch(options) {
    const dir = `${PROFILE}-${++launches}`;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const ctx = await chromium.launchPersistentContext(dir, Object.assign({
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        viewport: DESKTOP,
        locale: 'vi-VN',
        timezoneId: 'Asia/Ho_Chi_Minh',
    }, options || {}));
    ctx.setDefaultTimeout(STEP_MS);
    return ctx;
}

/* A page that fails its test on any script error. */
async function openForm(ctx) {
    const page = await ctx.newPage();
    page.jsErrors = [];
    page.on('pageerror', (e) => page.jsErrors.push(String(e)));
    const resp = await page.goto(`${BASE}/doanra/`);
    eq(resp.status(), 200, 'form page status');
    await page.waitForSelector('form[action="/doanra/submit"]');
    return page;
}

/* The n-th control of a (row) field. */
function field(page, name, n) {
    const sel = `form [name="${name}"], form [name="${name}[]"]`;
    return page.locator(sel).nth(n || 0);
}

/* Typing: [name, row, value]; selects are chosen by value. */
async function type(page, entries) {
    trace('type ' + entries.length);
    for (const [name, n, value] of entries) {
        const loc = field(page, name, n);
        const tag = await loc.evaluate((el) => el.tagName.toLowerCase());
        if (tag === 'select') await loc.selectOption(value);
        else await loc.fill(value);
    }
}

/* Read every typed value back from the page as the browser holds it. */
async function readBack(page, entries) {
    trace('readBack');
    for (const [name, n, value] of entries) {
        const got = await field(page, name, n).evaluate((el) => {
            if (el.tagName.toLowerCase() === 'select') {
                const o = el.options[el.selectedIndex];
                return o ? o.value : null;
            }
            return el.value;
        });
        eq(got, value, `value of ${name}[${n}] after the round trip`);
    }
}

const T0 = Date.now();
const trace = (what) => { if (process.env.BROWSER_TRACE) console.log(`  ${Date.now() - T0} ms ${what}`); };

async function submit(page) {
    trace('submit');
    const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/doanra/submit') && r.request().method() === 'POST'),
        page.click('form button[type="submit"]'),
    ]);
    await page.waitForLoadState('load');
    return resp;
}

async function shot(page, name, fullPage) {
    trace('shot ' + name);
    const file = path.join(ARTIFACTS, name);
    await page.screenshot({ path: file, fullPage: fullPage !== false });
    return file;
}

/* What the official types first: Sở Du lịch, budget money without an
 * estimate, four countries with four days in Japan, and the same person
 * twice.  Five errors and one warning. */
const FIRST = [
    ['don_vi', 0, 'Sở Du lịch'],
    ['muc_dich', 0, 'Quảng bá du lịch Quảng Ninh tại Nhật Bản và Hàn Quốc; gặp gỡ các hãng lữ hành'],
    ['doi_tac', 0, 'Tổng cục Du lịch Nhật Bản (JNTO) & "KTO" <Seoul>'],
    ['ngay_di', 0, d('03-09')],
    ['ngay_ve', 0, d('03-20')],
    ['nguon_kinh_phi', 0, 'ngan_sach'],
    ['quoc_gia', 0, 'Nhật Bản'], ['tu_ngay', 0, d('03-10')], ['den_ngay', 0, d('03-13')],
    ['quoc_gia', 1, 'Hàn Quốc'], ['tu_ngay', 1, d('03-14')], ['den_ngay', 1, d('03-15')],
    ['quoc_gia', 2, 'Trung Quốc'], ['tu_ngay', 2, d('03-16')], ['den_ngay', 2, d('03-17')],
    ['quoc_gia', 3, 'Thái Lan'], ['tu_ngay', 3, d('03-18')], ['den_ngay', 3, d('03-19')],
    ['tv_ho_ten', 0, 'Phan Thị Ngọc Ánh'], ['tv_ma', 0, 'QN-SDL-02'], ['tv_chuc_vu', 0, 'Phó Giám đốc'],
    ['tv_ho_ten', 1, 'Lương Văn Khánh'], ['tv_ma', 1, 'QN-SDL-03'], ['tv_chuc_vu', 1, 'Phó Giám đốc'],
    ['tv_ho_ten', 2, 'Phan Thị Ngọc Ánh'], ['tv_ma', 2, 'QN-SDL-02'], ['tv_chuc_vu', 2, 'Phó Giám đốc'],
];
const FIRST_RULES = ['countries', 'days-per-country', 'duplicate-member', 'funding', 'plan', 'region'];

/* The corrections, made in the blocked page: an estimate, three days in
 * Japan, Japan and Korea only (the plan's countries), back a day after the
 * last leg, and the duplicate row emptied. */
const FIX = [
    ['du_toan', 0, '450.000.000'],
    ['ngay_ve', 0, d('03-16')],
    ['den_ngay', 0, d('03-12')],
    ['tu_ngay', 1, d('03-13')], ['den_ngay', 1, d('03-15')],
    ['quoc_gia', 2, ''], ['tu_ngay', 2, ''], ['den_ngay', 2, ''],
    ['quoc_gia', 3, ''], ['tu_ngay', 3, ''], ['den_ngay', 3, ''],
    ['tv_ho_ten', 2, ''], ['tv_ma', 2, ''], ['tv_chuc_vu', 2, ''],
];

/* The findings block and the marks beside the controls. */
async function checkBlocked(page, expectedRules, typed) {
    trace('checkBlocked');
    const block = page.locator('section.doanra-result');
    eq(await block.count(), 1, 'result blocks on the page');
    eq(await block.getAttribute('data-doanra-decision'), 'fail', 'data-doanra-decision');
    assert(await block.isVisible(), 'the result block is not visible');
    const items = await block.locator('li[data-doanra-rule]').evaluateAll((lis) => lis.map((li) => ({
        rule: li.getAttribute('data-doanra-rule'),
        severity: li.getAttribute('data-doanra-severity'),
        field: li.getAttribute('data-doanra-field'),
        row: Number(li.getAttribute('data-doanra-row') || 0),
        text: li.textContent.trim(),
    })));
    const rules = [...new Set(items.map((i) => i.rule))].sort();
    eq(rules.join(','), expectedRules.join(','), 'rules found');
    for (const it of items)
        assert(it.text.length > 10, `finding ${it.rule} has no message`);

    await readBack(page, typed);

    /* Each finding marks its control: aria-invalid, and aria-describedby
     * naming an element that carries the same message. */
    const marked = new Set();
    for (const it of items) {
        const ctl = field(page, it.field, it.row > 0 ? it.row - 1 : 0);
        eq(await ctl.getAttribute('aria-invalid'), 'true', `aria-invalid of ${it.field} row ${it.row} (${it.rule})`);
        const texts = await ctl.evaluate((el) => (el.getAttribute('aria-describedby') || '').split(/\s+/)
            .map((id) => document.getElementById(id)).filter(Boolean).map((n) => n.textContent.trim()));
        assert(texts.includes(it.text), `no message beside ${it.field} row ${it.row} for ${it.rule}`);
        marked.add(`${it.field}#${it.row > 0 ? it.row - 1 : 0}`);
    }
    /* ...and only those. */
    const invalid = await page.locator('form [aria-invalid="true"]').evaluateAll((els) => els.map((el) => {
        const name = el.getAttribute('name');
        const same = Array.from(el.form.elements).filter((e) => e.getAttribute('name') === name);
        return `${name.replace(/\[\]$/, '')}#${same.indexOf(el)}`;
    }));
    eq(invalid.sort().join(' '), [...marked].sort().join(' '), 'controls marked aria-invalid');
    return items;
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const shots = [];

let browser; /* the shared JavaScript-enabled browser */

test('blocked, corrected in the same page, accepted by the intranet', async () => {
    const page = await openForm(browser);
    await type(page, FIRST);
    await readBack(page, FIRST);
    const blocked = await submit(page);
    eq(blocked.status(), 422, 'status of the blocked submission');
    eq(blocked.headers()['x-doanra-decision'], 'fail', 'X-Doanra-Decision of the blocked submission');
    eq(new URL(page.url()).pathname, '/doanra/submit', 'URL after submitting');
    await checkBlocked(page, FIRST_RULES, FIRST);
    /* The block is where the official looks first: at the top of the form. */
    const top = await page.locator('section.doanra-result').evaluate((s) => s.getBoundingClientRect().top + window.scrollY);
    const formTop = await page.locator('form').evaluate((f) => f.getBoundingClientRect().top + window.scrollY);
    assert(top - formTop < 100, 'the result block is not at the top of the form');
    shots.push(await shot(page, 'blocked.png'));

    /* A phone: 390 px wide, no sideways scrolling. */
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `the blocked page scrolls sideways by ${overflow}px at 390px`);
    shots.push(await shot(page, 'blocked-390.png'));
    await page.setViewportSize(DESKTOP);

    /* Correct it where it is, as the official would, and send again. */
    await type(page, FIX);
    /* The live check takes over from the marks of the blocked submission:
     * once the answer for the corrected values is in, nothing is marked. */
    await field(page, 'tv_chuc_vu', 2).blur();
    await page.waitForFunction(() => {
        const live = document.querySelector('form .doanra-live');
        return live && live.querySelector('p') && !live.querySelector('li[data-doanra-severity="error"]') &&
            !document.querySelector('form [aria-invalid="true"]') &&
            !document.querySelector('.doanra-field-msg, .doanra-live-msg');
    });
    const accepted = await submit(page);
    eq(accepted.status(), 200, 'status of the corrected submission');
    const decision = accepted.headers()['x-doanra-decision'];
    assert(decision === 'pass' || decision === 'warn', `X-Doanra-Decision ${decision}`);
    eq((await page.locator('h1').textContent()).trim(), 'Đã nhận hồ sơ đoàn ra', 'backend page heading');
    const echo = await page.locator('pre#echo').textContent();
    assert(new RegExp(`^X-Doanra-Decision: ${decision}$`, 'mi').test(echo),
           `the backend did not receive X-Doanra-Decision: ${decision}:\n${echo}`);
    assert(/^X-Doanra-Submission: \d+$/mi.test(echo), 'the backend did not receive X-Doanra-Submission');
    assert(/^content-type: application\/x-www-form-urlencoded$/mi.test(echo), 'backend content type');
    /* The intranet application got exactly the bytes the browser sent. */
    const sent = accepted.request().postDataBuffer();
    const sha = crypto.createHash('sha256').update(sent).digest('hex');
    assert(new RegExp(`^body-sha256: ${sha}$`, 'm').test(echo), `the backend's body differs from the browser's (${sent.length} bytes)`);
    if (decision === 'warn')
        eq(await page.locator('section.doanra-result[data-doanra-decision="warn"]').count(), 1, 'warn block on the backend page');
    else
        eq(await page.locator('section.doanra-result').count(), 0, 'result block on a passing answer');
    shots.push(await shot(page, 'accepted.png'));
    eq(page.jsErrors.join('\n'), '', 'script errors');
    await page.close();
});

test('live check shows a finding while typing, without submitting', async () => {
    const page = await openForm(browser);
    const posts = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
    const region = page.locator('form .doanra-live[role="status"]');
    eq(await region.count(), 1, 'live regions in the form');
    eq(await region.getAttribute('aria-live'), 'polite', 'aria-live');

    /* Back before leaving: an error the official should see at once. */
    await type(page, [['don_vi', 0, 'Sở Du lịch'], ['ngay_di', 0, d('03-09')], ['ngay_ve', 0, d('03-01')]]);
    await field(page, 'ngay_ve').blur();
    const live = region.locator('li[data-doanra-rule="dates"][data-doanra-field="ngay_ve"]');
    await live.waitFor({ state: 'visible' });
    const msg = (await live.textContent()).trim();
    assert(msg.length > 10, 'empty live message');
    eq(await field(page, 'ngay_ve').getAttribute('aria-invalid'), 'true', 'aria-invalid of ngay_ve');
    const beside = await field(page, 'ngay_ve').evaluate((el) => (el.getAttribute('aria-describedby') || '')
        .split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean).map((n) => n.textContent));
    assert(beside.includes(msg), 'no message beside ngay_ve');
    /* Fields not visited yet are not reported as missing. */
    eq(await region.locator('li[data-doanra-field="muc_dich"], li[data-doanra-field="doi_tac"]').count(), 0,
       'findings about fields not visited yet');
    eq(await field(page, 'muc_dich').getAttribute('aria-invalid'), null, 'aria-invalid of muc_dich');
    shots.push(await shot(page, 'live.png', false));

    /* Server text is text: a country "name" with markup stays characters. */
    await type(page, [['quoc_gia', 0, '<b id="x-inj">Xứ lạ</b>']]);
    await field(page, 'quoc_gia').blur();
    await region.locator('li[data-doanra-field="quoc_gia"]').first().waitFor({ state: 'visible' });
    eq(await page.locator('#x-inj').count(), 0, 'elements made from typed markup');

    /* Fixed: the finding and the marks go away. */
    await type(page, [['ngay_ve', 0, d('03-16')]]);
    await field(page, 'ngay_ve').blur();
    await live.waitFor({ state: 'detached' });
    eq(await field(page, 'ngay_ve').getAttribute('aria-invalid'), null, 'aria-invalid of ngay_ve once fixed');
    eq(await field(page, 'ngay_ve').getAttribute('aria-describedby'), null, 'aria-describedby of ngay_ve once fixed');

    assert(posts.length > 0 && posts.every((p) => p === '/doanra/check'), `POSTs made: ${posts.join(', ')}`);
    eq(new URL(page.url()).pathname, '/doanra/', 'URL (nothing submitted)');
    eq(page.jsErrors.join('\n'), '', 'script errors');
    await page.close();
});

test('live check never holds back a submission', async () => {
    const page = await openForm(browser);
    /* Edit and submit at once, while a live check is still due. */
    const typed = FIRST.slice(0, 6).concat([['tv_ho_ten', 0, 'Lương Văn Khánh']]);
    await type(page, typed);
    const resp = await submit(page);
    eq(resp.status(), 422, 'status');
    eq(await page.locator('section.doanra-result[data-doanra-decision="fail"]').count(), 1, 'result block');
    await readBack(page, typed);
    eq(page.jsErrors.join('\n'), '', 'script errors');
    await page.close();
});

test('the form works without JavaScript', async () => {
    const ctx = await launch({ javaScriptEnabled: false });
    try {
        const page = await openForm(ctx);
        /* Everything the browser itself requires, and still three errors:
         * no country, no estimate, unplanned without a reason. */
        const typed = [['don_vi', 0, 'Sở Ngoại vụ'], ['muc_dich', 0, 'Thăm tỉnh kết nghĩa'],
                       ['doi_tac', 0, 'Sở Ngoại vụ tỉnh Luang Prabang'],
                       ['ngay_di', 0, d('04-06')], ['ngay_ve', 0, d('04-10')],
                       ['nguon_kinh_phi', 0, 'ngan_sach'], ['tv_ho_ten', 0, 'Trần Văn Hùng']];
        await type(page, typed);
        const resp = await submit(page);
        eq(resp.status(), 422, 'status');
        eq(await page.locator('.doanra-live').count(), 0, 'live regions without JavaScript');
        const items = await page.locator('section.doanra-result li[data-doanra-rule]').count();
        assert(items >= 3, `only ${items} findings`);
        await readBack(page, typed);
    } finally {
        await ctx.close();
    }
});

(async () => {
    let passed = 0, failed = 0;
    const started = Date.now();
    try {
        browser = await launch();
    } catch (e) {
        console.log(`not ok - launch ${CHROMIUM}: ${e.message}`);
        console.log('browser: 0 passed, 1 failed');
        process.exit(1);
    }
    for (const t of tests) {
        const t0 = Date.now();
        try {
            await t.fn();
            passed++;
            console.log(`ok - ${t.name} (${Date.now() - t0} ms)`);
        } catch (e) {
            failed++;
            console.log(`not ok - ${t.name}\n    ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n    ')}`);
            for (const p of browser.pages()) {
                try { await shot(p, `failed-${tests.indexOf(t) + 1}.png`); } catch (ignore) { /* page gone */ }
                await p.close().catch(() => {});
            }
        }
    }
    await browser.close().catch(() => {});
    for (const s of shots) console.log(`screenshot: ${path.relative(process.cwd(), s)}`);
    console.log(`(${Date.now() - started} ms)`);
    console.log(`browser: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
})();
