-- demo-data.sql - demonstration data for mod_doanra: Quảng Ninh units,
-- officials, the plan for this year and next, and a history of trips and
-- evaluated submissions so that every report and the leader quota show
-- something.  For `make demo` and for trying reports; never for production.
--
--   psql -v ON_ERROR_STOP=1 -d DBNAME -f sql/install.sql
--   psql -v ON_ERROR_STOP=1 -d DBNAME -f sql/demo-data.sql
--
-- Dates are computed from current_date, so the demo stays valid in any year:
-- plan entries cover last year, this year and next; past trips are last year's; this
-- year's trips are `completed` once over, `approved` before.  In the current
-- year the Chairman of Móng Cái (QN-MC-01) has 2 counted trips (quota used
-- up) and the Director of Industry and Trade (QN-SCT-01) has 1.
--
-- Idempotent: reference rows use ON CONFLICT DO NOTHING, and the history is
-- only added when no demo submission (remote_user 'demo.*') exists yet.

\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;

BEGIN;

INSERT INTO doanra.units (code, name) VALUES
    ('SNGV',    'Sở Ngoại vụ'),
    ('SCT',     'Sở Công Thương'),
    ('SVHTT',   'Sở Văn hóa và Thể thao'),
    ('SDL',     'Sở Du lịch'),
    ('SKHDT',   'Sở Kế hoạch và Đầu tư'),
    ('UBND-HL', 'UBND thành phố Hạ Long'),
    ('UBND-MC', 'UBND thành phố Móng Cái'),
    ('UBND-UB', 'UBND thành phố Uông Bí'),
    ('UBND-CP', 'UBND thành phố Cẩm Phả'),
    ('BQLKKT',  'Ban Quản lý Khu kinh tế tỉnh Quảng Ninh')
ON CONFLICT (code) DO NOTHING;

INSERT INTO doanra.officials (code, full_name, unit_code, position, is_key_leader) VALUES
    ('QN-SNGV-01',  'Nguyễn Thị Thu Hà',    'SNGV',    'Giám đốc Sở Ngoại vụ', true),
    ('QN-SNGV-02',  'Trần Văn Hùng',        'SNGV',    'Phó Giám đốc Sở Ngoại vụ', false),
    ('QN-SNGV-03',  'Lê Minh Tuấn',         'SNGV',    'Phó Giám đốc Sở Ngoại vụ', false),
    ('QN-SCT-01',   'Phạm Quốc Bảo',        'SCT',     'Giám đốc Sở Công Thương', true),
    ('QN-SCT-02',   'Hoàng Thị Lan',        'SCT',     'Phó Giám đốc Sở Công Thương', false),
    ('QN-SCT-03',   'Vũ Đức Thắng',         'SCT',     'Phó Giám đốc Sở Công Thương', false),
    ('QN-SVHTT-01', 'Đặng Thị Hồng Nhung',  'SVHTT',   'Giám đốc Sở Văn hóa và Thể thao', true),
    ('QN-SVHTT-02', 'Bùi Văn Long',         'SVHTT',   'Phó Giám đốc Sở Văn hóa và Thể thao', false),
    ('QN-SVHTT-03', 'Ngô Thị Mai',          'SVHTT',   'Phó Giám đốc Sở Văn hóa và Thể thao', false),
    ('QN-SDL-01',   'Đỗ Thanh Sơn',         'SDL',     'Giám đốc Sở Du lịch', true),
    ('QN-SDL-02',   'Phan Thị Ngọc Ánh',    'SDL',     'Phó Giám đốc Sở Du lịch', false),
    ('QN-SDL-03',   'Lương Văn Khánh',      'SDL',     'Phó Giám đốc Sở Du lịch', false),
    ('QN-SKHDT-01', 'Trịnh Xuân Trường',    'SKHDT',   'Giám đốc Sở Kế hoạch và Đầu tư', true),
    ('QN-SKHDT-02', 'Đinh Thị Thanh Hương', 'SKHDT',   'Phó Giám đốc Sở Kế hoạch và Đầu tư', false),
    ('QN-SKHDT-03', 'Cao Văn Phúc',         'SKHDT',   'Phó Giám đốc Sở Kế hoạch và Đầu tư', false),
    ('QN-HL-01',    'Nguyễn Mạnh Cường',    'UBND-HL', 'Chủ tịch UBND thành phố Hạ Long', true),
    ('QN-HL-02',    'Lê Thị Bích Ngọc',     'UBND-HL', 'Phó Chủ tịch UBND thành phố Hạ Long', false),
    ('QN-HL-03',    'Tạ Quang Vinh',        'UBND-HL', 'Phó Chủ tịch UBND thành phố Hạ Long', false),
    ('QN-MC-01',    'Hoàng Văn Định',       'UBND-MC', 'Chủ tịch UBND thành phố Móng Cái', true),
    ('QN-MC-02',    'Vi Thị Hạnh',          'UBND-MC', 'Phó Chủ tịch UBND thành phố Móng Cái', false),
    ('QN-MC-03',    'Chu Văn Lâm',          'UBND-MC', 'Phó Chủ tịch UBND thành phố Móng Cái', false),
    ('QN-UB-01',    'Mai Xuân Hòa',         'UBND-UB', 'Chủ tịch UBND thành phố Uông Bí', true),
    ('QN-UB-02',    'Nguyễn Thị Yến',       'UBND-UB', 'Phó Chủ tịch UBND thành phố Uông Bí', false),
    ('QN-UB-03',    'Phạm Văn Toàn',        'UBND-UB', 'Phó Chủ tịch UBND thành phố Uông Bí', false),
    ('QN-CP-01',    'Vũ Thị Kim Oanh',      'UBND-CP', 'Chủ tịch UBND thành phố Cẩm Phả', true),
    ('QN-CP-02',    'Dương Văn Hải',        'UBND-CP', 'Phó Chủ tịch UBND thành phố Cẩm Phả', false),
    ('QN-CP-03',    'Hà Minh Đức',          'UBND-CP', 'Phó Chủ tịch UBND thành phố Cẩm Phả', false),
    ('QN-KKT-01',   'Trần Quang Minh',      'BQLKKT',  'Trưởng ban Ban Quản lý Khu kinh tế', true),
    ('QN-KKT-02',   'Lò Thị Phương',        'BQLKKT',  'Phó Trưởng ban Ban Quản lý Khu kinh tế', false),
    ('QN-KKT-03',   'Nông Văn Tiến',        'BQLKKT',  'Phó Trưởng ban Ban Quản lý Khu kinh tế', false)
ON CONFLICT (code) DO NOTHING;

-- The plan: the same entries for last year, this year and next (codes carry
-- the year); last year's are what the past trips carried out.
INSERT INTO doanra.plan_entries (code, year, unit_code, countries, period_from, period_to, purpose)
SELECT format('KH-%s-%s', y, e.unit), y, e.unit, e.countries,
       make_date(y, e.m_from, 1),
       (make_date(y, e.m_to, 1) + interval '1 month - 1 day')::date,
       e.purpose
FROM (VALUES (extract(year FROM current_date)::int - 1),
             (extract(year FROM current_date)::int),
             (extract(year FROM current_date)::int + 1)) AS years(y)
CROSS JOIN (VALUES
    ('SCT',     ARRAY['CN']::char(2)[],           1, 12, 'Xúc tiến thương mại, làm việc với Sở Thương mại Khu tự trị dân tộc Choang Quảng Tây'),
    ('SDL',     ARRAY['JP', 'KR']::char(2)[],     1, 12, 'Quảng bá, xúc tiến du lịch Quảng Ninh tại Nhật Bản và Hàn Quốc'),
    ('SKHDT',   ARRAY['SG', 'TH']::char(2)[],     1, 12, 'Xúc tiến đầu tư vào các khu kinh tế, khu công nghiệp của tỉnh'),
    ('UBND-MC', ARRAY['CN']::char(2)[],           1, 12, 'Hội đàm với chính quyền thành phố Đông Hưng về hợp tác cửa khẩu'),
    ('SNGV',    ARRAY['LA', 'KH']::char(2)[],     3, 11, 'Thăm và làm việc với các tỉnh kết nghĩa tại Lào và Campuchia'),
    ('SVHTT',   ARRAY['KR']::char(2)[],           5,  9, 'Giao lưu văn hóa, thể thao với tỉnh Gyeongsangnam-do'),
    ('BQLKKT',  ARRAY['CN', 'JP', 'KR']::char(2)[], 1, 12, 'Xúc tiến đầu tư vào Khu kinh tế Vân Đồn và Khu kinh tế ven biển'),
    ('UBND-HL', ARRAY['SG', 'MY', 'TH']::char(2)[], 4, 11, 'Học tập kinh nghiệm quản lý đô thị du lịch')
) AS e(unit, countries, m_from, m_to, purpose)
ON CONFLICT (code) DO NOTHING;

-- One recorded trip: a submission that passed (or warned) and its trip.
-- legs: 'CC:first-day:last-day'; members: official codes, head first.
CREATE FUNCTION pg_temp.demo_trip(p_unit text, p_purpose text, p_partner text,
                                  p_di date, p_ve date, p_status text,
                                  p_report date, p_plan text, p_reason text,
                                  p_legs text[], p_members text[],
                                  p_cost bigint DEFAULT 350000000)
RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE
    sid bigint;
    tid bigint;
    leg text;
    i int := 0;
    findings jsonb := '[]';
    created timestamptz := (p_di - 35)::timestamptz + interval '9 hours';
BEGIN
    IF p_plan IS NULL THEN
        findings := jsonb_build_array(jsonb_build_object(
            'rule', 'plan', 'severity', 'warning', 'field', 'ma_ke_hoach', 'row', 0,
            'message', 'Chuyến đi không có trong kế hoạch đoàn ra đã được phê duyệt (đoàn phát sinh).'));
    END IF;
    INSERT INTO doanra.submissions (created_at, location, remote_user, client_ip, mode,
                                    fields, decision, findings, rules, backend_status, settled_at)
    VALUES (created, '/doanra/submit', 'demo.' || lower(p_unit), '10.20.1.15', 'enforce',
            jsonb_build_object('ma_don_vi', p_unit, 'muc_dich', p_purpose, 'doi_tac', p_partner,
                               'ngay_di', p_di::text, 'ngay_ve', p_ve::text,
                               'nguon_kinh_phi', 'ngan_sach', 'du_toan', p_cost::text,
                               'ma_ke_hoach', COALESCE(p_plan, ''),
                               'ly_do_phat_sinh', COALESCE(p_reason, ''),
                               'tv_ma', to_jsonb(p_members)),
            CASE WHEN p_plan IS NULL THEN 'warn' ELSE 'pass' END,
            findings,
            CASE WHEN p_plan IS NULL THEN ARRAY['plan'] ELSE '{}'::text[] END,
            CASE WHEN p_status = 'void' THEN 500 ELSE 200 END,
            created + interval '2 seconds')
    RETURNING id INTO sid;

    INSERT INTO doanra.trips (submission_id, created_at, updated_at, status, unit_code, unit_name,
                              purpose, partner, ngay_di, ngay_ve, year, funding, estimated_cost,
                              plan_code, planned, unplanned_reason, member_count, report_filed_on)
    SELECT sid, created, created, p_status, u.code, u.name, p_purpose, p_partner, p_di, p_ve,
           extract(year FROM p_di)::int, 'ngan_sach', p_cost, p_plan, p_plan IS NOT NULL,
           p_reason, cardinality(p_members), p_report
    FROM doanra.units u WHERE u.code = p_unit
    RETURNING id INTO tid;

    INSERT INTO doanra.trip_members (trip_id, seq, person_key, official_code, full_name,
                                     position, unit_code, unit_name, is_key_leader)
    SELECT tid, m.ord, doanra.official_key(o.code), o.code, o.full_name, o.position, o.unit_code, u.name,
           o.is_key_leader
    FROM unnest(p_members) WITH ORDINALITY AS m(code, ord)
    JOIN doanra.officials o ON o.code = m.code
    JOIN doanra.units u ON u.code = o.unit_code;

    FOREACH leg IN ARRAY p_legs LOOP
        i := i + 1;
        INSERT INTO doanra.trip_legs (trip_id, seq, country, from_date, to_date)
        VALUES (tid, i, split_part(leg, ':', 1), split_part(leg, ':', 2)::date,
                split_part(leg, ':', 3)::date);
    END LOOP;
    RETURN tid;
END
$f$;

-- A submission that was blocked: no trip.
CREATE FUNCTION pg_temp.demo_blocked(p_unit text, p_at timestamptz, p_findings jsonb)
RETURNS void LANGUAGE sql AS $f$
    INSERT INTO doanra.submissions (created_at, location, remote_user, client_ip, mode,
                                    fields, decision, findings, rules)
    SELECT p_at, '/doanra/submit', 'demo.' || lower(p_unit), '10.20.1.15', 'enforce',
           jsonb_build_object('ma_don_vi', p_unit), 'fail', p_findings,
           ARRAY(SELECT DISTINCT f->>'rule' FROM jsonb_array_elements(p_findings) f);
$f$;

DO $demo$
DECLARE
    y int := extract(year FROM current_date)::int;
    p int := extract(year FROM current_date)::int - 1;
    -- Status of a trip this year: over or not yet.
    d date;
    tid bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM doanra.submissions WHERE remote_user LIKE 'demo.%') THEN
        RAISE NOTICE 'demo history already present';
        RETURN;
    END IF;

    -- Last year.
    PERFORM pg_temp.demo_trip('SDL', 'Quảng bá du lịch Quảng Ninh tại Nhật Bản và Hàn Quốc',
        'Tổng cục Du lịch Nhật Bản (JNTO); Tổ chức Du lịch Hàn Quốc (KTO)',
        make_date(p, 4, 8), make_date(p, 4, 15), 'completed', make_date(p, 4, 22),
        format('KH-%s-SDL', p), NULL,
        ARRAY[format('JP:%s:%s', make_date(p, 4, 9), make_date(p, 4, 11)),
              format('KR:%s:%s', make_date(p, 4, 12), make_date(p, 4, 14))],
        ARRAY['QN-SDL-01', 'QN-SDL-02', 'QN-SNGV-03'], 820000000);
    tid := pg_temp.demo_trip('SKHDT', 'Xúc tiến đầu tư tại Singapore và Thái Lan',
        'Cơ quan Phát triển Kinh tế Singapore (EDB); Ủy ban Đầu tư Thái Lan (BOI)',
        make_date(p, 6, 2), make_date(p, 6, 9), 'completed', NULL,
        format('KH-%s-SKHDT', p), NULL,
        ARRAY[format('SG:%s:%s', make_date(p, 6, 3), make_date(p, 6, 5)),
              format('TH:%s:%s', make_date(p, 6, 6), make_date(p, 6, 8))],
        ARRAY['QN-SKHDT-01', 'QN-SKHDT-02', 'QN-KKT-02', 'QN-SCT-03'], 640000000);
    -- It went through while the database was unreachable (DoanraOnDatabaseError
    -- allow) and was written in from the journal; checked late, one member
    -- was already on another trip on those dates.
    UPDATE doanra.submissions
       SET unchecked = true, decision = 'fail', rules = ARRAY['member-overlap'],
           findings = jsonb_build_array(jsonb_build_object(
               'rule', 'member-overlap', 'severity', 'error', 'field', 'tv_ho_ten', 'row', 4,
               'message', 'Thành viên mã QN-SCT-03 đã có trong một chuyến đi khác trùng thời gian.'))
     WHERE id = (SELECT submission_id FROM doanra.trips WHERE id = tid);
    PERFORM pg_temp.demo_trip('SVHTT', 'Giao lưu văn hóa, thể thao với tỉnh Gyeongsangnam-do',
        'Chính quyền tỉnh Gyeongsangnam-do', make_date(p, 7, 14), make_date(p, 7, 18),
        'completed', make_date(p, 7, 25), format('KH-%s-SVHTT', p), NULL,
        ARRAY[format('KR:%s:%s', make_date(p, 7, 15), make_date(p, 7, 17))],
        ARRAY['QN-SVHTT-01', 'QN-SVHTT-02', 'QN-SVHTT-03', 'QN-SDL-03', 'QN-HL-03',
              'QN-UB-03', 'QN-CP-03'], 540000000);
    PERFORM pg_temp.demo_trip('UBND-HL', 'Tham dự Diễn đàn các thành phố du lịch châu Á',
        'Thành phố Kitakyushu', make_date(p, 9, 20), make_date(p, 9, 24), 'completed', NULL,
        NULL, 'Thư mời của Thành phố Kitakyushu nhận sau khi kế hoạch năm đã được phê duyệt',
        ARRAY[format('JP:%s:%s', make_date(p, 9, 21), make_date(p, 9, 23))],
        ARRAY['QN-HL-01', 'QN-HL-02'], 300000000);
    PERFORM pg_temp.demo_trip('BQLKKT', 'Xúc tiến đầu tư vào Khu kinh tế Vân Đồn',
        'Hiệp hội Doanh nghiệp Hồng Kông', make_date(p, 10, 6), make_date(p, 10, 9),
        'cancelled', NULL, format('KH-%s-BQLKKT', p), NULL,
        ARRAY[format('CN:%s:%s', make_date(p, 10, 7), make_date(p, 10, 8))],
        ARRAY['QN-KKT-01', 'QN-KKT-03']);
    PERFORM pg_temp.demo_trip('SNGV', 'Thăm và làm việc với tỉnh Luang Prabang và tỉnh Siem Reap',
        'Sở Ngoại vụ tỉnh Luang Prabang; Sở Ngoại vụ tỉnh Siem Reap',
        make_date(p, 11, 10), make_date(p, 11, 17), 'submitted', NULL,
        format('KH-%s-SNGV', p), NULL,
        ARRAY[format('LA:%s:%s', make_date(p, 11, 11), make_date(p, 11, 13)),
              format('KH:%s:%s', make_date(p, 11, 14), make_date(p, 11, 16))],
        ARRAY['QN-SNGV-01', 'QN-SNGV-02', 'QN-UB-02'], 410000000);
    PERFORM pg_temp.demo_trip('UBND-CP', 'Khảo sát mô hình chuyển đổi khu mỏ',
        'Thành phố Phúc Cương (Fukuoka)', make_date(p, 12, 1), make_date(p, 12, 5), 'void',
        NULL, NULL, 'Đối tác đề nghị đổi lịch',
        ARRAY[format('JP:%s:%s', make_date(p, 12, 2), make_date(p, 12, 4))],
        ARRAY['QN-CP-01', 'QN-CP-02']);

    -- This year.  QN-MC-01: two counted trips (quota used up).
    d := make_date(y, 3, 13);
    PERFORM pg_temp.demo_trip('UBND-MC', 'Hội đàm với chính quyền thành phố Đông Hưng về hợp tác cửa khẩu',
        'Chính quyền thành phố Đông Hưng (Quảng Tây)', make_date(y, 3, 10), d,
        CASE WHEN d < current_date THEN 'completed' ELSE 'approved' END,
        CASE WHEN d + 6 < current_date THEN d + 6 END, format('KH-%s-UBND-MC', y), NULL,
        ARRAY[format('CN:%s:%s', make_date(y, 3, 11), make_date(y, 3, 12))],
        ARRAY['QN-MC-01', 'QN-MC-02', 'QN-SNGV-02'], 150000000);
    d := make_date(y, 9, 20);
    PERFORM pg_temp.demo_trip('UBND-MC', 'Tham dự Hội chợ Thương mại Trung Quốc - ASEAN',
        'Ban Tổ chức Hội chợ CAEXPO, Nam Ninh', make_date(y, 9, 16), d,
        CASE WHEN d < current_date THEN 'completed' ELSE 'approved' END,
        NULL, format('KH-%s-UBND-MC', y), NULL,
        ARRAY[format('CN:%s:%s', make_date(y, 9, 17), make_date(y, 9, 19))],
        ARRAY['QN-MC-01', 'QN-MC-03', 'QN-SCT-02', 'QN-KKT-03'], 280000000);
    -- QN-SCT-01: one counted trip.
    d := make_date(y, 5, 16);
    PERFORM pg_temp.demo_trip('SCT', 'Xúc tiến thương mại tại Quảng Tây',
        'Sở Thương mại Khu tự trị dân tộc Choang Quảng Tây', make_date(y, 5, 12), d,
        CASE WHEN d < current_date THEN 'completed' ELSE 'approved' END,
        CASE WHEN d + 8 < current_date THEN d + 8 END, format('KH-%s-SCT', y), NULL,
        ARRAY[format('CN:%s:%s', make_date(y, 5, 13), make_date(y, 5, 15))],
        ARRAY['QN-SCT-01', 'QN-SCT-03', 'QN-MC-02'], 260000000);
    d := make_date(y, 6, 27);
    PERFORM pg_temp.demo_trip('SDL', 'Roadshow du lịch Quảng Ninh tại Seoul và Busan',
        'Tổ chức Du lịch Hàn Quốc (KTO)', make_date(y, 6, 21), d,
        CASE WHEN d < current_date THEN 'completed' ELSE 'approved' END,
        NULL, format('KH-%s-SDL', y), NULL,
        ARRAY[format('KR:%s:%s', make_date(y, 6, 22), make_date(y, 6, 24)),
              format('JP:%s:%s', make_date(y, 6, 25), make_date(y, 6, 26))],
        ARRAY['QN-SDL-02', 'QN-SDL-03', 'QN-SVHTT-02', 'QN-HL-02', 'QN-UB-02'], 720000000);
    PERFORM pg_temp.demo_trip('UBND-UB', 'Trao đổi kinh nghiệm phát triển du lịch tâm linh',
        'Tỉnh Chiang Mai', make_date(y, 8, 4), make_date(y, 8, 8), 'rejected', NULL,
        NULL, 'Lời mời của tỉnh Chiang Mai trong năm',
        ARRAY[format('TH:%s:%s', make_date(y, 8, 5), make_date(y, 8, 7))],
        ARRAY['QN-UB-01', 'QN-UB-03']);

    -- Submissions that were blocked, spread over the year.
    PERFORM pg_temp.demo_blocked('SVHTT', make_date(p, 5, 20) + time '10:15', jsonb_build_array(
        jsonb_build_object('rule', 'size', 'severity', 'error', 'field', 'tv_ho_ten', 'row', 0,
                           'message', 'Đoàn có 12 thành viên, vượt quá giới hạn 10 người/đoàn.')));
    PERFORM pg_temp.demo_blocked('SDL', make_date(p, 8, 11) + time '14:40', jsonb_build_array(
        jsonb_build_object('rule', 'days-per-country', 'severity', 'error', 'field', 'den_ngay', 'row', 1,
                           'message', 'Đoàn ở Nhật Bản 5 ngày, vượt quá giới hạn 3 ngày/nước.'),
        jsonb_build_object('rule', 'countries', 'severity', 'error', 'field', 'quoc_gia', 'row', 4,
                           'message', 'Đoàn đi 4 nước, vượt quá giới hạn 3 nước/chuyến.')));
    PERFORM pg_temp.demo_blocked('UBND-MC', make_date(y, 2, 5) + time '08:30', jsonb_build_array(
        jsonb_build_object('rule', 'plan', 'severity', 'error', 'field', 'ly_do_phat_sinh', 'row', 0,
                           'message', 'Chuyến đi không có trong kế hoạch và chưa nêu lý do phát sinh.')));
    PERFORM pg_temp.demo_blocked('UBND-HL', make_date(y, 4, 2) + time '16:05', jsonb_build_array(
        jsonb_build_object('rule', 'travel-days', 'severity', 'error', 'field', 'tu_ngay', 'row', 1,
                           'message', 'Có 4 ngày đi đường trước chặng đầu, vượt quá giới hạn 2 ngày.'),
        jsonb_build_object('rule', 'region', 'severity', 'warning', 'field', 'quoc_gia', 'row', 2,
                           'message', 'Các nước Nhật Bản, Pháp không cùng một khu vực.')));
END
$demo$;

COMMIT;
\unset QUIET
\echo mod_doanra demo data loaded.
