-- data.sql - the benchmark's database: a province's registry and ten years
-- of history, generated with generate_series (run after sql/install.sql).
--
--   psql -v ON_ERROR_STOP=1 -v y0=2027 -d doanra -f bench/data.sql
--
-- y0 is the first year the benchmark's delegations depart in (next year,
-- so that no date is in the past).  What it creates:
--   500 units        BU000 .. BU499
--   5 000 officials  QN0000 .. QN4999: 0..999 key leaders (two per unit:
--                    the director or chairman, and the party secretary),
--                    1000..4999 staff, eight per unit.  Names, positions and
--                    units are the ones bench/bodies.py sends.
--   100 000 trips    over the 9 years before y0 - 1, 3..10 members each
--                    (650 000 member rows, ~130 past trips per official,
--                    key leaders travel more), 1..3 legs, one evaluated
--                    submission each; 85 % completed, the rest rejected,
--                    cancelled or void.
--   plan entries     for every unit and each of the 60 years from y0 (the
--                    benchmark's trips carry their code in ma_ke_hoach).
-- Keep the names in step with bench/bodies.py.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

BEGIN;

CREATE TEMP TABLE w (k text PRIMARY KEY, a text[]) ON COMMIT DROP;
INSERT INTO w VALUES
 ('family', '{Nguyễn,Trần,Lê,Phạm,Hoàng,Huỳnh,Phan,Vũ,Võ,Đặng,Bùi,Đỗ,Hồ,Ngô,Dương,Lý}'),
 ('middle', '{Văn,Thị,Đức,Minh,Quang,Thanh,Hữu,Ngọc,Xuân,Hồng}'),
 ('given',  '{An,Bình,Cường,Dũng,Giang,Hà,Hùng,Khánh,Lan,Long,Mai,Nam,"Ngọc Ánh",Phúc,Quân,Sơn,Tâm,Thắng,Trang,Tuấn,Việt,Yến}'),
 ('kind',   '{Sở,"UBND huyện","UBND xã",Ban}'),
 ('place',  '{"Hạ Long","Móng Cái","Uông Bí","Cẩm Phả","Đông Triều","Quảng Yên","Vân Đồn","Tiên Yên","Hải Hà","Đầm Hà","Bình Liêu","Ba Chẽ","Cô Tô"}'),
 ('staff',  '{"Phó Giám đốc","Trưởng phòng Hợp tác quốc tế","Phó Trưởng phòng Kế hoạch","Chuyên viên chính","Chuyên viên","Chuyên viên","Chuyên viên","Kế toán"}'),
 ('country','{JP,KR,CN,TH,SG,LA,KH,MY,ID,PH,FR,DE,GB,IT,US,CA,AU,RU,IN,AE}');

CREATE FUNCTION pg_temp.w(text, int) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT a[$2 % cardinality(a) + 1] FROM w WHERE k = $1 $$;

INSERT INTO doanra.units (code, name)
SELECT 'BU' || lpad(u::text, 3, '0'),
       pg_temp.w('kind', u) || ' ' || pg_temp.w('place', u) || ' ' || u
  FROM generate_series(0, 499) u
ON CONFLICT (code) DO NOTHING;

INSERT INTO doanra.officials (code, full_name, unit_code, position, is_key_leader)
SELECT 'QN' || lpad(i::text, 4, '0'),
       pg_temp.w('family', i) || ' ' || pg_temp.w('middle', i / 16) || ' ' || pg_temp.w('given', i / 160),
       'BU' || lpad(u::text, 3, '0'),
       CASE WHEN i < 500 THEN CASE WHEN un LIKE 'Sở%' THEN 'Giám đốc ' ELSE 'Chủ tịch ' END || un
            WHEN i < 1000 THEN 'Bí thư Đảng ủy ' || un
            ELSE pg_temp.w('staff', i - 1000) || ' ' || un END,
       i < 1000
  FROM generate_series(0, 4999) i,
       LATERAL (SELECT CASE WHEN i < 1000 THEN i % 500 ELSE (i - 1000) / 8 END AS u) x,
       LATERAL (SELECT pg_temp.w('kind', x.u) || ' ' || pg_temp.w('place', x.u) || ' ' || x.u AS un) y
ON CONFLICT (code) DO NOTHING;

INSERT INTO doanra.plan_entries (code, year, unit_code, countries, period_from, period_to, purpose)
SELECT 'KH' || y || '-BU' || lpad(u::text, 3, '0'), y, 'BU' || lpad(u::text, 3, '0'),
       '{JP,KR,CN}', make_date(y, 1, 1), make_date(y, 12, 31),
       'Hợp tác, xúc tiến đầu tư với các địa phương Đông Bắc Á'
  FROM generate_series(:y0, :y0 + 59) y, generate_series(0, 499) u
ON CONFLICT (code) DO NOTHING;

-- The past: trip t departs in one of the 9 years before y0 - 1.
CREATE TEMP TABLE past ON COMMIT DROP AS
SELECT t, d, d + (2 * nlegs + 1 + t % 3) AS r, nlegs, 3 + t % 8 AS nm,
       (t * 7) % 500 AS u
  FROM (SELECT t, make_date(:y0 - 2 - t % 9, 1, 1) + (t * 37) % 350 AS d,
               1 + t % 3 AS nlegs
          FROM generate_series(1, 100000) t) s;

INSERT INTO doanra.submissions (id, created_at, location, client_ip, mode, fields,
                                decision, findings, rules, backend_status, settled_at)
SELECT t, (d - 45) + time '09:30', '/doanra/submit', '10.20.' || (t % 200) || '.' || (t % 250),
       'enforce',
       jsonb_build_object('don_vi', un.name, 'ma_don_vi', un.code,
                          'muc_dich', 'Xúc tiến đầu tư, thương mại và du lịch',
                          'doi_tac', 'Đối tác số ' || t,
                          'ngay_di', d::text, 'ngay_ve', r::text,
                          'nguon_kinh_phi', 'ngan_sach', 'du_toan', '850.000.000'),
       'pass', '[]', '{}', 200, (d - 45) + time '09:30:01'
  FROM past JOIN doanra.units un ON un.code = 'BU' || lpad(u::text, 3, '0');

INSERT INTO doanra.trips (id, submission_id, created_at, updated_at, status, unit_code,
                          unit_name, purpose, partner, ngay_di, ngay_ve, year, funding,
                          estimated_cost, plan_code, planned, member_count, report_filed_on)
SELECT t, t, d - 45, r + 5,
       CASE t % 20 WHEN 0 THEN 'rejected' WHEN 1 THEN 'cancelled' WHEN 2 THEN 'void'
                   ELSE 'completed' END,
       'BU' || lpad(u::text, 3, '0'), NULL, 'Xúc tiến đầu tư, thương mại và du lịch',
       'Đối tác số ' || t, d, r, extract(year FROM d)::int, 'ngan_sach', 850000000,
       NULL, false, nm, CASE WHEN t % 10 <> 0 THEN r + 7 END
  FROM past;

-- Member 1 is a key leader (one in 1000), the others staff of the
-- province (distinct within a trip: 577 * j differs mod 4000 for j < 10).
INSERT INTO doanra.trip_members (trip_id, seq, person_key, official_code, full_name,
                                 position, unit_code, unit_name, is_key_leader)
SELECT p.t, j, doanra.official_key(o.code), o.code, o.full_name, o.position, o.unit_code, NULL,
       o.is_key_leader
  FROM past p, generate_series(1, p.nm) j,
       LATERAL (SELECT CASE WHEN j = 1 THEN (p.t * 13) % 1000
                            ELSE 1000 + (p.t * 31 + j * 577) % 4000 END AS oi) x
  JOIN doanra.officials o ON o.code = 'QN' || lpad(x.oi::text, 4, '0');

INSERT INTO doanra.trip_legs (trip_id, seq, country, from_date, to_date)
SELECT p.t, l, pg_temp.w('country', p.t + l), p.d + 2 * l - 1, p.d + 2 * l
  FROM past p, generate_series(1, p.nlegs) l;

SELECT setval('doanra.submissions_id_seq', (SELECT max(id) FROM doanra.submissions));
SELECT setval('doanra.trips_id_seq', (SELECT max(id) FROM doanra.trips));

COMMIT;

VACUUM (ANALYZE) doanra.units, doanra.officials, doanra.plan_entries,
       doanra.submissions, doanra.trips, doanra.trip_members, doanra.trip_legs;
