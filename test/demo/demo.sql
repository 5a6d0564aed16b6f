-- The guided walk of `make demo`: a day at the counter of 七ヶ宿町.  Each
-- section says what juki does, shows it, and shows what it refuses.
\set su :USER
-- row counts stay on: an empty report says "(0 rows)"
\pset null '∅'
\set VERBOSITY default
\set SHOW_CONTEXT never
\set QUIET on
\echo
\echo '════════════════════════════════════════════════════════════════════'
\echo ' juki — 住基ネット 本人確認情報 handling rules, inside PostgreSQL'
\echo ' A throwaway cluster with juki in shared_preload_libraries.'
\echo '════════════════════════════════════════════════════════════════════'
\echo
\echo '## 1. Is juki enforcing?  (juki.status)'
SELECT preloaded, version, database, timezone, writer_pid IS NOT NULL AS audit_writer_running,
       emergency_stop, last_seq AS log_entries_so_far
  FROM juki.status();

\echo
\echo '## 2. The people.  A DBA grants juki''s roles; juki refuses conflicting duties.'
CREATE ROLE suzuki_chief LOGIN;  GRANT juki_chief_security_officer TO suzuki_chief;
CREATE ROLE yamamoto_sys LOGIN;  GRANT juki_system_administrator TO yamamoto_sys;
CREATE ROLE kato_access LOGIN;   GRANT juki_access_manager TO kato_access;
CREATE ROLE ito_officer LOGIN;   GRANT juki_security_officer TO ito_officer;
CREATE ROLE sato_audit LOGIN;    GRANT juki_auditor TO sato_audit;
CREATE ROLE takahashi_reg LOGIN; GRANT juki_registrar TO takahashi_reg;
CREATE ROLE tanaka LOGIN;        GRANT juki_operator TO tanaka;
CREATE ROLE nakamura LOGIN;      GRANT juki_operator TO nakamura;
CREATE SCHEMA staging AUTHORIZATION takahashi_reg;
SELECT r.rolname AS person, string_agg(g.rolname, ', ') AS "juki roles"
  FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid
 WHERE g.rolname LIKE 'juki\_%' GROUP BY 1 ORDER BY 1;
\echo 'The DBA tries to make the auditor an operator as well (監査 and 操作者 conflict):'
GRANT juki_operator TO sato_audit;

\echo
\echo '## 3. The town arrives: the registrar (既存住基システム) imports 1,300 residents'
\echo 'from a staging table; every row is validated, all or nothing, one log entry.'
\c - takahashi_reg
CREATE TABLE staging.town (resident_code text, individual_number text, full_name text,
	full_name_kana text, former_surname text, alias_name text, birth_date date, sex text,
	address text, municipality_code text, change_reason text, change_date date, status text);
CREATE TABLE staging.measures (resident_code text, starts_on date, ends_on date, note text);
\set q '\\copy staging.town FROM ' :'residents'
:q
\set q '\\copy staging.measures FROM ' :'measures'
:q
SELECT juki.import_residents('staging.town') AS residents_imported;
SELECT count(juki.set_support_measure(resident_code, starts_on, ends_on, note)) AS "DV等支援措置 registered"
  FROM staging.measures WHERE ends_on >= current_date;
\echo 'The staging copy (the registrar''s own table) shows the town:'
SELECT status, count(*) AS residents, count(*) FILTER (WHERE sex = '1') AS male,
       count(*) FILTER (WHERE sex = '2') AS female,
       round(100.0 * count(*) FILTER (WHERE birth_date <= current_date - interval '65 years') / count(*), 1) AS "% aged 65+"
  FROM staging.town GROUP BY status ORDER BY status;
\echo 'A bad code never gets in: a 個人番号 with a wrong check digit refuses the whole import.'
UPDATE staging.town SET individual_number = '123456789012' WHERE resident_code = (SELECT min(resident_code) FROM staging.town);
SELECT juki.import_residents('staging.town');
\c - :su

\echo
\echo '## 4. Business purposes (利用事務) decide fields, criteria, rows, forms'
\echo 'Fields: N name, B birth date, S sex, A address, C 住民票コード, M 個人番号, H change'
\c - yamamoto_sys
SELECT code, department,
       concat_ws('', CASE WHEN 'full_name' = ANY (disclosed_fields) THEN 'N' END,
                     CASE WHEN 'birth_date' = ANY (disclosed_fields) THEN 'B' END,
                     CASE WHEN 'sex' = ANY (disclosed_fields) THEN 'S' END,
                     CASE WHEN 'address' = ANY (disclosed_fields) THEN 'A' END,
                     CASE WHEN 'resident_code' = ANY (disclosed_fields) THEN 'C' END,
                     CASE WHEN 'individual_number' = ANY (disclosed_fields) THEN 'M' END,
                     CASE WHEN 'change_reason' = ANY (disclosed_fields) THEN 'H' END) AS fields,
       array_to_string(search_keys, ' | ') AS "search by",
       coalesce(max_rows::text, 'permit') AS "max rows",
       CASE WHEN allows_forms THEN '帳票' ELSE '' END AS forms
  FROM juki.purposes() ORDER BY department, code;
\echo 'Operating hours are Mon–Fri 08:30–17:15 (Asia/Tokyo).  So that this demo works at any'
\echo 'hour, the system administrator opens the counter around the clock, every day:'
SELECT juki.set_operating_hours(NULL, '{0,1,2,3,4,5,6}', '00:00', '24:00') \gset
\echo '  set_operating_hours(all purposes, Sunday to Saturday, 00:00 to 24:00): done, on record.'
\c - :su

\echo
\echo '## 5. The access manager registers operators, their IC cards and passwords'
\set pub_tanaka `cat :'keydir'/card_tanaka.pub`
\set pub_nakamura `cat :'keydir'/card_nakamura.pub`
\c - kato_access
SELECT juki.register_operator('tanaka', '田中 花子', '住民課') AS tanaka \gset
SELECT juki.register_operator('nakamura', '中村 健', '住民課') AS nakamura \gset
SELECT juki.register_card(:tanaka, 'CARD-0001', :'pub_tanaka', current_date + 365) \gset
SELECT juki.register_card(:nakamura, 'CARD-0002', :'pub_nakamura', current_date + 365) \gset
\echo 'A weak password is refused:'
SELECT juki.set_password(:tanaka, 'password');
SELECT juki.set_password(:tanaka, 'Madoguchi#2026') \gset
SELECT juki.set_password(:nakamura, 'Kaunta-7th-Floor') \gset
SELECT juki.record_training(:tanaka, 'operator', current_date - 20) \gset
SELECT id, role_name, display_name, department, cards, last_operator_training IS NOT NULL AS trained
  FROM juki.operators();
\c - :su

\echo
\echo '## 6. 指名: the chief appoints 伊藤 security officer of 住民課; 伊藤 designates 田中'
\c - suzuki_chief
SELECT juki.appoint_security_officer('ito_officer', '住民課') \gset
\c - ito_officer
SELECT juki.designate(:tanaka, '{wide_area_copy_issuance,move_in}', current_date + 180, 'counter') AS designation;
\echo '中村 has no operator training yet, so he cannot be designated:'
SELECT juki.designate(:nakamura, '{wide_area_copy_issuance}', current_date + 180, 'counter');
\c - :su

SELECT resident_code AS r1, full_name AS r1_name, to_char(birth_date, 'YYYY-MM-DD') AS r1_birth, address AS r1_address
  FROM staging.town WHERE status = 'active' ORDER BY resident_code OFFSET 10 LIMIT 1 \gset
SELECT resident_code AS protected FROM staging.measures WHERE ends_on >= current_date LIMIT 1 \gset

\echo
\echo '## 7. At the counter.  田中 logs in at terminal madoguchi-01 (業務端末): the card signs a challenge, plus her password.'
\c - tanaka
SELECT encode(juki.card_challenge('CARD-0001'), 'hex') AS chal \gset
\set sig `sh :'signer' :'keydir'/card_tanaka.pem :chal`
SELECT juki.card_login('CARD-0001', decode(:'sig', 'hex'), 'Madoguchi#2026', 'madoguchi-01') AS token \gset
\echo 'She holds an opaque session token (only its hash is kept in the server).'
\echo 'Before any disclosure she needs a permit (許可) for the handling:'
BEGIN;
SELECT juki.attach(:'token') \gset
SELECT juki.lookup('wide_area_copy_issuance', :'r1');
ROLLBACK;
BEGIN;
SELECT juki.attach(:'token') \gset
SELECT juki.request_permit('wide_area_copy_issuance', '住民票の写しの広域交付: 窓口', now() + interval '8 hours') AS permit \gset
COMMIT;
\c - :su
\echo '伊藤 approves it (never the requester):'
\c - ito_officer
SELECT juki.approve_permit(:permit) \gset
SELECT id, purpose, status, decided_by FROM juki.permits() WHERE id = :permit;
\c - :su

\echo
\echo '## 8. Lookups and searches: only the purpose''s fields, nothing else'
\c - tanaka
BEGIN;
SELECT juki.attach(:'token') \gset
\echo 'A lookup by 住民票コード for 広域交付 (個人番号 and change information are not disclosed):'
\x on
SELECT * FROM juki.lookup('wide_area_copy_issuance', :'r1');
\x off
\echo 'A search by name and birth date, typed with full-width letters and spaces:'
SELECT resident_code, full_name, birth_date, address, individual_number
  FROM juki.search('wide_area_copy_issuance',
                   jsonb_build_object('full_name', replace(:'r1_name', '　', '  '), 'birth_date', :'r1_birth'));
\echo 'Refused: searching by address is not one of this purpose''s search keys:'
SELECT * FROM juki.search('wide_area_copy_issuance', jsonb_build_object('address', :'r1_address'));
COMMIT;
BEGIN;
SELECT juki.attach(:'token') \gset
\echo 'Refused: a resident under a support measure (DV等支援措置) is not for this purpose:'
SELECT * FROM juki.lookup('wide_area_copy_issuance', :'protected');
COMMIT;
BEGIN;
SELECT juki.attach(:'token') \gset
\echo 'Refused: 田中 is not designated for 国民健康保険:'
SELECT * FROM juki.lookup('national_health_insurance', :'r1');
COMMIT;
BEGIN;
SELECT juki.attach(:'token') \gset
\echo 'A form (帳票: 住民票の写し) is printed and enters the form ledger:'
SELECT serial, form_type, purpose, (content).full_name, (content).address FROM juki.issue_form('wide_area_copy_issuance', :'r1', 'juminhyo_copy');
COMMIT;
\c - :su

\echo
\echo '## 9. 作動停止: the chief stops everything at once, then resumes'
\c - suzuki_chief
SELECT juki.emergency_stop('suspected leak at terminal 3') \gset
SELECT emergency_stop FROM juki.status();
\c - tanaka
BEGIN;
SELECT juki.attach(:'token') \gset
SELECT * FROM juki.lookup('wide_area_copy_issuance', :'r1');
ROLLBACK;
SELECT juki.card_challenge('CARD-0002');
\c - suzuki_chief
SELECT juki.emergency_resume('terminal 3 checked, all clear') \gset
SELECT emergency_stop FROM juki.status();
\c - :su

\echo
\echo '## 10. The DBA (superuser) tries to go around the door: every path is refused and logged'
SELECT count(*) FROM juki.resident;
COPY juki.resident TO STDOUT;
UPDATE juki.access_permit SET status = 'approved';
SELECT pg_read_binary_file('global/pg_control');
DELETE FROM juki.operation_log WHERE action = 'direct_access';
TRUNCATE juki.operation_log;
DROP EXTENSION juki CASCADE;
\echo 'Nor may it act as a staff member: juki looks at the login, not only the role in effect.'
SET SESSION AUTHORIZATION suzuki_chief;
SELECT juki.emergency_stop('the DBA, not the chief');
RESET SESSION AUTHORIZATION;
SET ROLE juki_auditor;
SELECT ok FROM juki.verify_log();
RESET ROLE;
\echo 'Or grant itself a juki role:'
GRANT juki_auditor TO postgres;

\echo
\echo '## 11. The auditor''s morning: the log, verified'
\c - sato_audit
SELECT action, outcome, coalesce(reason, '') AS reason, count(*) AS entries
  FROM juki.operation_log GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
\echo 'Every entry names the role in effect and the login; where they differ, someone acted as another:'
SELECT action, reason, db_role AS acting_as, login_role AS logged_in_as
  FROM juki.operation_log WHERE login_role IS DISTINCT FROM db_role AND login_role IS NOT NULL ORDER BY seq;
\echo 'Which residents were disclosed today, to whom, at which terminal, for what, and which fields:'
SELECT to_char(ts AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') AS "time (JST)", action, db_role,
       coalesce(terminal, '') AS terminal, purpose,
       array_to_string(subjects, ',') AS residents, array_to_string(fields, ', ') AS fields, row_count
  FROM juki.operation_log WHERE outcome = 'granted' AND action IN ('lookup', 'search', 'issue_form')
 ORDER BY seq;
\echo 'The chain verifies, and a checkpoint is signed with the key kept outside the database:'
SELECT ok, entries_checked, first_bad_seq, problem FROM juki.verify_log();
SELECT substring(cp FROM ' seq=([0-9]+) ')::bigint AS signed_seq,
       substring(cp FROM ' hash=(.{16})') || '…' AS hash, substring(cp FROM ' key=([0-9a-f]+)') AS key_id,
       substring(cp FROM ' sig=(.{16})') || '…' AS ed25519_signature
  FROM (SELECT juki.checkpoint() AS cp) AS c;
\c - :su
\ir demo_contractor.sql
