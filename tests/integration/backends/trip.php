<?php
// trip.php - a real PHP application behind mod_doanra for
// tests/integration/test_backends.py: what PHP itself made of the request.
//
// Answers text/html with <pre id="php">JSON</pre>, the JSON being:
//   post    $_POST as PHP reads it (name[] -> array, repeated name -> last)
//   get     $_GET
//   request $_REQUEST (request_order: the query string, then the body over it)
//   files   $_FILES: field name -> {name, size, error}
//   dates   each date field PHP received, read as Y-m-d or d/m/Y -> Y-m-d
//   doanra  the X-Doanra-* request headers PHP saw
//   range, if_range, content_length, content_type, method
// and appends the same facts (without post/get) as one JSON line to the file
// named by DOANRA_BACKENDS_LOG, so a test can tell whether PHP was reached.

function php_date($s)
{
    foreach (array('Y-m-d', 'd/m/Y') as $fmt) {
        $d = DateTime::createFromFormat('!' . $fmt, $s);
        if ($d !== false && $d->format($fmt) === $s) {
            return $d->format('Y-m-d');
        }
    }
    return null;
}

function dates_of($v)
{
    if (is_array($v)) {
        return array_map('dates_of', $v);
    }
    return $v === '' ? '' : php_date($v);
}

$dates = array();
foreach (array('ngay_di', 'ngay_ve', 'tu_ngay', 'den_ngay') as $k) {
    if (isset($_POST[$k])) {
        $dates[$k] = dates_of($_POST[$k]);
    }
}

$files = array();
foreach ($_FILES as $k => $f) {
    $files[$k] = array('name' => $f['name'], 'size' => $f['size'], 'error' => $f['error']);
}

$seen = array(
    'backend' => 'php',
    'sapi' => PHP_SAPI,
    'uri' => $_SERVER['REQUEST_URI'] ?? '',
    'method' => $_SERVER['REQUEST_METHOD'] ?? '',
    'content_type' => $_SERVER['CONTENT_TYPE'] ?? null,
    'content_length' => $_SERVER['CONTENT_LENGTH'] ?? null,
    'range' => $_SERVER['HTTP_RANGE'] ?? null,
    'if_range' => $_SERVER['HTTP_IF_RANGE'] ?? null,
    'doanra' => array(
        'decision' => $_SERVER['HTTP_X_DOANRA_DECISION'] ?? null,
        'submission' => $_SERVER['HTTP_X_DOANRA_SUBMISSION'] ?? null,
        'rules' => $_SERVER['HTTP_X_DOANRA_RULES'] ?? null,
    ),
    'post_count' => count($_POST),
);

$log = getenv('DOANRA_BACKENDS_LOG');
if ($log === false || $log === '') {
    $log = $_SERVER['REDIRECT_DOANRA_BACKENDS_LOG'] ?? '';
}
if ($log !== '') {
    file_put_contents($log, json_encode($seen, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES) . "\n",
                      FILE_APPEND | LOCK_EX);
}

$out = $seen + array('post' => $_POST, 'get' => $_GET, 'request' => $_REQUEST,
                     'files' => $files, 'dates' => $dates);
$json = json_encode($out, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE);

header('Content-Type: text/html; charset=utf-8');
header('X-Backend: php');
?>
<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>Đăng ký đoàn ra</title></head>
<body>
<h1>Đã nhận hồ sơ</h1>
<pre id="php"><?= htmlspecialchars($json, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8') ?></pre>
</body>
</html>
