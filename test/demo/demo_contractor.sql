-- The demo, continued: a contractor's day and the auditor's morning
-- (要領 第4 外部委託, 第3 2(2)③ 帳票, 第1 5 監査).  Runs after demo.sql, with the same
-- people and the same psql variables (keydir, signer); include it at the end
-- of demo.sql with  \ir demo_contractor.sql
\set su :USER
\pset footer off
\pset null '∅'
\set VERBOSITY default
\set SHOW_CONTEXT never
\set QUIET on

SELECT resident_code AS r1 FROM staging.town WHERE status = 'active' ORDER BY resident_code OFFSET 10 LIMIT 1 \gset
SELECT resident_code AS r2 FROM staging.town WHERE status = 'active' ORDER BY resident_code OFFSET 11 LIMIT 1 \gset

\echo
\echo '## 12. A contractor''s day and the auditor''s morning'
\echo
\echo '### 外部委託: 伊藤 (security officer of 住民課) vets a data-entry company, item by item'
\echo 'A company that declares itself another company''s subcontractor (再委託先) is refused:'
\c - ito_officer
CREATE TEMP TABLE vet AS
SELECT jsonb_object_agg(i, jsonb_build_object('satisfactory', true, 'finding', f, 'evidence', e)) AS v
  FROM (VALUES ('financial_soundness', '3期連続黒字', '決算書 R4–R6'),
               ('stability', '創業28年', '登記事項証明書'),
               ('business_scale', '従業員120名', '会社概要'),
               ('business_area', '宮城県内', '会社概要'),
               ('technical_skill', '住基ネット入力実績あり', '実績一覧'),
               ('training_system', '年2回の社内研修', '研修計画書'),
               ('privacy_measures', 'プライバシーマーク取得', '登録証'),
               ('security_measures', 'ISMS認証', '認証書'),
               ('liability_capacity', '賠償責任保険 1億円', '保険証券'),
               ('scandals', '該当なし', '新聞記事検索')) AS x(i, f, e);
SELECT juki.register_contractor('みやぎ入力サービス（東北情報の再委託先）', '仙台市', v) FROM vet;
SELECT juki.register_contractor('みやぎ入力サービス株式会社', '仙台市青葉区本町1-1', v) AS contractor FROM vet \gset
\echo 'A vetting record with an item missing is refused too:'
SELECT juki.register_contractor('東北情報株式会社', '仙台市', v - 'scandals') FROM vet;
\c - :su
\echo '鈴木 (the chief) approves only after the セキュリティ会議 has reviewed it:'
\c - suzuki_chief
SELECT juki.approve_contractor(:contractor);
SELECT juki.record_committee_review(:contractor, current_date, 'セキュリティ会議: 全項目適格') \gset
SELECT juki.approve_contractor(:contractor) \gset
SELECT name, unsatisfactory, committee_reviewed_on IS NOT NULL AS reviewed, approved_by FROM juki.contractors();
\c - :su

\echo
\echo '### The contract: 30 days, 住民票の写し, at most 1 handler; a subcontractor named in it is refused'
\c - ito_officer
SELECT juki.register_contract(:contractor, '入力補助 (再委託先: 東北情報)', '{wide_area_copy_issuance}',
                              current_date, current_date + 30, 1);
SELECT juki.register_contract(:contractor, '住民票の写しの広域交付 入力補助', '{wide_area_copy_issuance}',
                              current_date, current_date + 30, 1) AS contract \gset
\c - suzuki_chief
SELECT juki.approve_contract(:contract) \gset
\c - ito_officer
SELECT juki.record_pledge(:contract, current_date) \gset
SELECT contractor, scope, purposes, ends_on - current_date AS days, max_handlers, pledge_received_on IS NOT NULL AS "誓約書",
       approved FROM juki.contracts();
\c - :su

\echo
\echo '### 山田 of the contractor: registered under the contract, card, password, training, 委託の都度の指定'
\set dummy `openssl genpkey -algorithm ed25519 -out :'keydir'/card_yamada.pem 2>/dev/null && openssl pkey -in :'keydir'/card_yamada.pem -pubout -out :'keydir'/card_yamada.pub`
\set pub_yamada `cat :'keydir'/card_yamada.pub`
SET client_min_messages = warning;
CREATE ROLE yamada LOGIN;  GRANT juki_contractor_operator TO yamada;
CREATE ROLE kimura LOGIN;  GRANT juki_contractor_operator TO kimura;
CREATE ROLE watanabe_officer LOGIN;  GRANT juki_security_officer TO watanabe_officer;
RESET client_min_messages;
\c - kato_access
SELECT juki.register_operator('yamada', '山田 一郎 (みやぎ入力)', '住民課', 'contractor', :contract) AS yamada \gset
SELECT juki.register_operator('kimura', '木村 二郎 (みやぎ入力)', '住民課', 'contractor', :contract) AS kimura \gset
SELECT juki.register_card(:yamada, 'CARD-Y-01', :'pub_yamada', current_date + 365) \gset
SELECT juki.set_password(:yamada, 'Itaku#Miyagi-1') \gset
SELECT juki.record_training(:yamada, 'operator', current_date - 5) \gset
SELECT juki.record_training(:kimura, 'operator', current_date - 5) \gset
\c - ito_officer
SELECT juki.designate_handler(:contract, :yamada, current_date, current_date + 30) AS handler \gset
\echo 'A second handler is refused: the contract allows one (必要最小限度):'
SELECT juki.designate_handler(:contract, :kimura, current_date, current_date + 30);
\c - :su

\echo
\echo '### 09:00 山田 logs in, asks for a permit, 伊藤 approves, 山田 works'
\c - yamada
SELECT encode(juki.card_challenge('CARD-Y-01'), 'hex') AS chal \gset
\set sig `sh :'signer' :'keydir'/card_yamada.pem :chal`
SELECT juki.card_login('CARD-Y-01', decode(:'sig', 'hex'), 'Itaku#Miyagi-1') AS ytoken \gset
BEGIN;
SELECT juki.attach(:'ytoken') \gset
SELECT juki.request_permit('wide_area_copy_issuance', '委託: 入力補助', now() + interval '8 hours') AS ypermit \gset
COMMIT;
\c - ito_officer
SELECT juki.approve_permit(:ypermit) \gset
\c - yamada
BEGIN;
SELECT juki.attach(:'ytoken') \gset
SELECT resident_code, full_name, address, individual_number FROM juki.lookup('wide_area_copy_issuance', :'r1');
SELECT serial AS yform, form_type FROM juki.issue_form('wide_area_copy_issuance', :'r2', 'juminhyo_copy') \gset
COMMIT;
BEGIN;
SELECT juki.attach(:'ytoken') \gset
\echo 'Refused: 転入届 (move_in) is not in the contract:'
SELECT * FROM juki.lookup('move_in', :'r1');
ROLLBACK;
\c - :su

\echo
\echo '### 11:00 the pledge turns out to be signed by the wrong person: 伊藤 voids it; access ends at once'
\c - ito_officer
SELECT juki.withdraw_pledge(:contract, '誓約書の署名者が代表者でない') \gset
\c - yamada
BEGIN;
SELECT juki.attach(:'ytoken') \gset
SELECT * FROM juki.lookup('wide_area_copy_issuance', :'r1');
ROLLBACK;
\c - :su
\echo 'A correct pledge arrives; work resumes:'
\c - ito_officer
SELECT juki.record_pledge(:contract, current_date) \gset
\c - yamada
BEGIN;
SELECT juki.attach(:'ytoken') \gset
SELECT resident_code FROM juki.lookup('wide_area_copy_issuance', :'r1');
COMMIT;
SELECT juki.logout(:'ytoken') \gset
\c - :su

\echo
\echo '### 帳票: 山田''s printed form is filed, then destroyed by two officers'
\c - suzuki_chief
SELECT juki.appoint_security_officer('watanabe_officer', '住民課') \gset
\c - ito_officer
SELECT juki.file_form(:'yform') \gset
SELECT juki.request_form_destruction(:'yform', 'shredded (cross-cut)') \gset
\echo '伊藤 cannot approve the destruction he requested:'
SELECT juki.approve_form_destruction(:'yform');
\c - watanabe_officer
SELECT juki.approve_form_destruction(:'yform') \gset
SELECT serial, form_type, role_name, status, destruction_requested_by, destroy_method, destroy_approved_by
  FROM juki.forms() ORDER BY serial;
\c - :su

\echo
\echo '### The auditor''s morning: 佐藤 reads the reports (each a table she can filter further)'
\c - sato_audit
\echo 'Access by day, operator, purpose:'
SELECT day, role_name, department, purpose, action, granted, denied, rows_disclosed
  FROM juki.report_access(now() - interval '1 day');
\echo '提供状況 of resident' :r1 :r1_name ': what was disclosed, when, to whom, why, which items:'
SELECT to_char(disclosed_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI') AS "when (JST)", action, purpose_title, legal_basis,
       department, operator_name, coalesce(contractor, '') AS contractor, coalesce(terminal, '') AS terminal,
       array_to_string(fields, ', ') AS items,
       coalesce(form_serial, '') AS form
  FROM juki.report_provision(:'r1');
\echo 'Denials by reason:'
SELECT reason, action, denials, operators FROM juki.report_denials(now() - interval '1 day');
\echo 'Off-hours access, bulk requests:'
SELECT seq, role_name, action, purpose, row_count FROM juki.report_off_hours();
SELECT seq, role_name, purpose, outcome, reason, row_count, permit_bulk_rows FROM juki.report_bulk();
\echo 'Login failures and lockouts; possible shared IDs:'
SELECT to_char(ts AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') AS "time (JST)", action, outcome, reason, role_name, card_serial
  FROM juki.report_login_failures();
SELECT session_id, role_name, addresses, hours, several_addresses, long_session FROM juki.report_shared_ids();
\echo 'Designation and permit changes:'
SELECT to_char(ts AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') AS "time (JST)", action, changed_by, role_name, purpose
  FROM juki.report_designation_changes(now() - interval '1 day');
\echo 'Designations unused for 90 days (none yet: everything is new today):'
SELECT kind, role_name, purposes, last_used, days_unused FROM juki.report_unused_designations();
\echo 'Refused attempts on resident' :r1 :r1_name ':'
SELECT to_char(ts AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') AS "time (JST)", db_role, action, purpose, reason
  FROM juki.operation_log WHERE subjects @> ARRAY[:'r1'] AND outcome <> 'granted' ORDER BY seq;
\echo 'Forms never destroyed:'
SELECT serial, form_type, role_name, status, days_outstanding, destruction_requested FROM juki.report_outstanding_forms();
\echo 'Contracts expiring within 60 days or lacking a pledge or an approval:'
SELECT contractor, ends_on, days_left, handlers_in_force, max_handlers, issues FROM juki.report_contracts();
\echo 'Staff whose training is missing or due within 30 days:'
SELECT role_name, display_name, course, last_completed, due_on, status FROM juki.report_training_due();
\echo 'Log health:'
SELECT ok FROM juki.verify_log() \gset
SELECT last_seq, last_verify_ok, last_verify_by, last_checkpoint_seq, entries_after_checkpoint,
       last_export_to_seq, entries_after_export FROM juki.report_log_health();
\c - :su
