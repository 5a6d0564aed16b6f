-- システム管理者 (system administrator): 利用事務 (purposes, versioned) and
-- 運用計画の運用時間 (operating hours, append-only).
\set su :USER
\set showlog 'SELECT l.action, l.outcome, l.reason, l.purpose, CASE WHEN l.outcome = ''granted'' THEN l.detail END AS detail FROM juki.operation_log l WHERE l.seq > :mark AND l.action <> ''log_read'' ORDER BY l.seq'
\c - regress_auditor
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

--------------------------------------------------------- define_purpose
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{resident_code}', 5)$$);
\c - regress_manager
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{resident_code}', 5)$$);
\c - regress_sysadmin
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', NULL, 'L', '住民課', '{full_name}', '{resident_code}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{resident_code}', 5, active => NULL)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('Regress-P', 'T', 'L', '住民課', '{full_name}', '{resident_code}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', ' ', 'L', '住民課', '{full_name}', '{resident_code}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '', '{full_name}', '{resident_code}', 5)$$);
-- fields: known, each once, at least one
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name,blood_type}', '{resident_code}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name,full_name}', '{resident_code}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{}', '{resident_code}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{birth_date,full_name}', '{address_prefix}', NULL,
                                                   allows_bulk => true, aggregates_only => true)$$);
-- search keys: combinations of known criteria joined by +
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{resident_code,NULL}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{full_name+sex}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{full_name++birth_date}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{full_name+full_name}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{birth_date_from}', 5)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{full_name+birth_date,birth_date+full_name}', 5)$$);
-- row limits
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{resident_code}', NULL)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{resident_code}', 0)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{resident_code}', 1001)$$);
SELECT juki_test.tryn($$SELECT juki.define_purpose('regress_p', 'T', 'L', '住民課', '{full_name}', '{resident_code}', 5, min_age => 151)$$);
-- a new purpose: version 1, combinations stored sorted
SELECT juki.define_purpose('regress_p', '窓口テスト', 'テスト条例', '住民課', '{full_name,birth_date,address}',
                           '{resident_code,full_name+birth_date,birth_date_to+birth_date_from+address_prefix}', 5,
                           allows_forms => true);
-- a change is a new version; the newest is in force
SELECT juki.define_purpose('regress_p', '窓口テスト (改)', 'テスト条例', '住民課', '{full_name,birth_date}',
                           '{resident_code}', 3, min_age => 18);
-- a seed purpose is changed the same way: version 2
SELECT juki.define_purpose('population_statistics', '人口・世帯数統計', '統計法', '企画課',
                           '{birth_date,sex,address}', '{address_prefix}', NULL,
                           allows_bulk => true, aggregates_only => true);
SELECT code, version, title, disclosed_fields, search_keys, max_rows, allows_forms, min_age, active, seeded, defined_by
  FROM juki.purposes() WHERE code IN ('regress_p', 'population_statistics', 'regress_batch', 'regress_closed')
 ORDER BY code;
SELECT count(*) AS purposes FROM juki.purposes();
\c - regress_auditor
:showlog;
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

---------------------------------------------------- set_operating_hours
SELECT juki_test.tryn($$SELECT juki.set_operating_hours(NULL, '{6}', '09:00', '12:00')$$);
\c - regress_sysadmin
SELECT juki_test.tryn($$SELECT juki.set_operating_hours(NULL, NULL, '09:00', '12:00')$$);
SELECT juki_test.tryn($$SELECT juki.set_operating_hours(NULL, '{6,NULL}', '09:00', '12:00')$$);
SELECT juki_test.tryn($$SELECT juki.set_operating_hours('no_such_purpose', '{6}', '09:00', '12:00')$$);
SELECT juki_test.tryn($$SELECT juki.set_operating_hours(NULL, '{7}', '09:00', '12:00')$$);
SELECT juki_test.tryn($$SELECT juki.set_operating_hours(NULL, '{}', '09:00', '12:00')$$);
SELECT juki_test.tryn($$SELECT juki.set_operating_hours(NULL, '{6,6}', '09:00', '12:00')$$);
SELECT juki_test.tryn($$SELECT juki.set_operating_hours(NULL, '{6}', '12:00', '09:00')$$);
SELECT juki_test.tryn($$SELECT juki.set_operating_hours(NULL, '{6}', '09:00', NULL)$$);
-- Saturday mornings by default; the wide-area issuance also on Sunday
-- mornings, and never on Wednesdays; the newest row for a day wins
SELECT juki.set_operating_hours(NULL, '{6}', '09:00', '12:00');
SELECT juki.set_operating_hours('wide_area_copy_issuance', '{0,3}', '09:00', '12:00');
SELECT juki.set_operating_hours('wide_area_copy_issuance', '{3}', NULL, NULL);
SELECT purpose, weekday, opens, closes FROM juki.operating_hours_in_force()
 ORDER BY purpose NULLS FIRST, weekday;
\c - :su
-- every juki role reads purposes and hours; nobody else
\c - regress_registrar
SELECT count(*) AS purposes FROM juki.purposes();
SELECT count(*) AS hours FROM juki.operating_hours_in_force();
\c - :su
SELECT juki_test.tryn('SELECT count(*) FROM juki.operating_hours_in_force()');
\c - regress_plain
SELECT juki_test.tryn('SELECT count(*) FROM juki.purposes()');
\c - regress_auditor
:showlog;
\c - :su
