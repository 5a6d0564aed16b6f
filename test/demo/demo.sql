-- The guided walk of `make demo`.  Each section says what juki does, shows
-- it, and shows what it refuses.
\pset footer off
\pset null '∅'
\echo
\echo '════════════════════════════════════════════════════════════════════'
\echo ' juki — 住基ネット 本人確認情報 handling rules, inside PostgreSQL'
\echo ' A throwaway cluster with juki in shared_preload_libraries.'
\echo '════════════════════════════════════════════════════════════════════'
\echo
\echo '## 1. Is juki enforcing?  (juki.status)'
SELECT preloaded, version, database, timezone, writer_pid IS NOT NULL AS audit_writer_running,
       last_seq AS log_entries_so_far
  FROM juki.status();

\echo
\echo '## 2. The synthetic town of 七ヶ宿町 (1,300 residents, deterministic)'
SELECT status AS "status", count(*) AS residents,
       count(*) FILTER (WHERE sex = '1') AS male, count(*) FILTER (WHERE sex = '2') AS female,
       round(100.0 * count(*) FILTER (WHERE birth_date <= DATE '2026-04-01' - interval '65 years')
             / count(*), 1) AS "% aged 65+"
  FROM juki.resident GROUP BY status ORDER BY status;
\echo 'Residents by 大字 (area):'
SELECT substring(address FROM '七ヶ宿町字([^０-９]+)') AS area, count(*) AS residents
  FROM juki.resident WHERE status = 'active' GROUP BY 1 ORDER BY 2 DESC;
\echo 'Residents under a support measure (DV等支援措置) — the details stay hidden:'
SELECT count(*) AS measures, count(*) FILTER (WHERE ends_on >= DATE '2026-04-01') AS in_force
  FROM juki.support_measure;

\echo
\echo '## 3. Codes are validated: 住民票コード, 個人番号, 地方公共団体コード'
SELECT v AS value, juki.is_valid_individual_number(v) AS "個人番号 ok?"
  FROM (VALUES ('123456789018'), ('123456789012'), ('１２３４５６７８９０１８'), ('12345678901')) t(v);
SELECT v AS value, juki.is_valid_municipality_code(v) AS "地方公共団体コード ok?"
  FROM (VALUES ('043028'), ('131016'), ('043027')) t(v);
\echo 'A bad code never gets into the register: the domain refuses it (22023) with a hint,'
\echo 'and the message does not repeat the value, which may be personal data:'
SELECT '12345678901８'::juki.individual_number;

\echo
\echo '## 4. The roles of the regulation (group roles; a DBA grants them to people)'
SELECT r.rolname AS role, d.description AS "may"
  FROM pg_roles r
  CROSS JOIN LATERAL (VALUES (CASE r.rolname
	WHEN 'juki_chief_security_officer' THEN 'セキュリティ統括責任者: emergency stop, contracts, all reports'
	WHEN 'juki_system_administrator' THEN 'システム管理者: purposes, hours, information assets; no resident data'
	WHEN 'juki_security_officer' THEN 'セキュリティ責任者: designate operators, approve permits, forms'
	WHEN 'juki_access_manager' THEN 'アクセス管理責任者: operators, IC cards, passwords, log export'
	WHEN 'juki_operator' THEN '操作者: lookup/search/forms when designated, permitted, logged in'
	WHEN 'juki_contractor_operator' THEN '委託事業者の従事者: like an operator, only inside a contract'
	WHEN 'juki_auditor' THEN '監査: read the operation log and reports; verify'
	WHEN 'juki_registrar' THEN '既存住基システム: record resident changes and imports'
	WHEN 'juki_terminal' THEN '業務端末 application: attach operator sessions through a pool' END)) d(description)
 WHERE r.rolname LIKE 'juki\_%' ORDER BY 1;

\echo
\echo '## 5. Business purposes (利用事務): what each may see and how it may search'
\echo 'Fields: N name, B birth date, S sex, A address, C 住民票コード, M 個人番号, H change'
SELECT code, title, department,
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
  FROM juki.purpose ORDER BY department, code;

\echo
\echo '## 6. Operating hours (evaluated in juki.timezone)'
SELECT coalesce(purpose, '(all purposes)') AS purpose,
       (ARRAY['Sun','Mon','Tue','Wed','Thu','Fri','Sat'])[weekday + 1] AS day, opens, closes
  FROM juki.operating_hours ORDER BY weekday;
\echo '(Saturday and Sunday: closed.)'

\echo
\echo '## 7. The operation log (操作履歴): a DBA with superuser cannot touch it'
\echo 'The people: 佐藤 is an auditor (監査), 加藤 the access manager (アクセス管理責任者).'
CREATE ROLE sato_audit;
GRANT juki_auditor TO sato_audit;
CREATE ROLE kato_access;
GRANT juki_access_manager TO kato_access;
\echo 'The DBA (superuser) tries to erase a trace, to read the log, to drop it:'
DELETE FROM juki.operation_log WHERE action = 'direct_access';
SELECT count(*) FROM juki.operation_log;
TRUNCATE juki.operation_log;
ALTER TABLE juki.operation_log DISABLE TRIGGER ALL;
DROP EXTENSION juki CASCADE;

\echo
\echo '## 8. The auditor reads the log: every refusal above is there'
SET ROLE sato_audit;
SELECT seq, to_char(ts AT TIME ZONE 'Asia/Tokyo', 'HH24:MI:SS') AS "time (JST)", db_role, action,
       outcome, reason, coalesce(detail->>'command', '') AS command
  FROM juki.operation_log ORDER BY seq;
\echo 'The chain verifies, and a checkpoint is signed with the key kept outside the database:'
SELECT ok, entries_checked, first_bad_seq, problem FROM juki.verify_log();
SELECT substring(cp FROM ' seq=([0-9]+) ')::bigint AS signed_seq,
       substring(cp FROM ' hash=(.{16})') || '…' AS hash, substring(cp FROM ' key=([0-9a-f]+)') AS key_id,
       substring(cp FROM ' sig=(.{16})') || '…' AS ed25519_signature
  FROM (SELECT juki.checkpoint() AS cp) AS c;
RESET ROLE;
