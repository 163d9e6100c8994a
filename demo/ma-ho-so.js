/*
 * demo/ma-ho-so.js - optional: fills the dossier code ("mã hồ sơ") of a
 * step form from the link that led to it (/doanra/huy/?ma_ho_so=DR-...),
 * as the confirmation page links to each next step.  The form works without
 * it; a value already there (typed, or refilled by mod_doanra) is kept.
 * ES5, like live-check.js.
 */
(function () {
    'use strict';
    var m = /[?&]ma_ho_so=([^&#]*)/.exec(window.location.search || '');
    var input = document.querySelector && document.querySelector('form input[name="ma_ho_so"]');
    if (!m || !input || input.value) return;
    try {
        input.value = decodeURIComponent(m[1].replace(/\+/g, ' '));
    } catch (e) {
        /* a malformed link: leave the field empty */
    }
})();
