-- セキュリティ統括責任者 appoints セキュリティ責任者 per department; they
-- designate (指名) operators of their department and decide on the
-- operators' requests for permits (許可).  Two keys: nobody designates
-- themselves or decides on their own request.
\set su :USER
CREATE TABLE juki_test.officer_ids (kind text, id bigint, name text);
GRANT SELECT ON juki_test.officer_ids TO PUBLIC;
\set showlog 'SELECT l.action, l.outcome, l.reason, i.name AS operator, l.purpose, p.name AS permit, CASE WHEN l.outcome = ''granted'' THEN l.detail - ''{valid_until,designation_id}''::text[] END AS detail, l.subjects FROM juki.operation_log l LEFT JOIN juki_test.officer_ids i ON i.kind = ''op'' AND i.id = l.operator_id LEFT JOIN juki_test.officer_ids p ON p.kind = ''permit'' AND p.id = l.permit_id WHERE l.seq > :mark AND l.action <> ''log_read'' ORDER BY l.seq'

-- the operators of admin_operators, and one more of 住民課 without training
\c - regress_manager
SELECT max(id) FILTER (WHERE role_name = 'regress_op_a') AS op_a,
       max(id) FILTER (WHERE role_name = 'regress_op_b') AS op_b,
       max(id) FILTER (WHERE role_name = 'regress_op_c') AS op_c
  FROM juki.operators() \gset
\c - :su
CREATE ROLE regress_op_d LOGIN;
GRANT juki_operator TO regress_op_d;
\c - regress_manager
SELECT juki.register_operator('regress_op_d', '新人 三郎', '住民課') AS op_d \gset
-- op_b's training is renewed
SELECT juki.record_training(:op_b, 'operator', current_date - 1);
\c - :su
INSERT INTO juki_test.officer_ids VALUES ('op', :op_a, 'op_a'), ('op', :op_b, 'op_b'), ('op', :op_c, 'op_c'), ('op', :op_d, 'op_d');
-- two purposes of 住民課 for the tests: an inactive one and a batch one
\c - regress_sysadmin
SELECT juki.define_purpose('regress_closed', '廃止された事務', 'テスト', '住民課', '{full_name}',
                           '{resident_code}', 1, active => false);
SELECT juki.define_purpose('regress_batch', '一括抽出テスト', 'テスト', '住民課', '{full_name,address}',
                           '{address_prefix}', NULL, allows_bulk => true);
\c - :su

\c - regress_auditor
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

--------------------------------------------- appoint_security_officer
SELECT juki_test.tryn($$SELECT juki.appoint_security_officer('regress_officer_a', '住民課')$$);
\c - regress_manager
SELECT juki_test.tryn($$SELECT juki.appoint_security_officer('regress_officer_a', '住民課')$$);
\c - regress_chief
SELECT juki_test.tryn($$SELECT juki.appoint_security_officer(NULL, '住民課')$$);
SELECT juki_test.tryn($$SELECT juki.appoint_security_officer('regress_officer_a', '')$$);
SELECT juki_test.tryn($$SELECT juki.appoint_security_officer('regress_nobody', '住民課')$$);
SELECT juki_test.tryn($$SELECT juki.appoint_security_officer('regress_plain', '住民課')$$);
SELECT juki.appoint_security_officer('regress_officer_a', '住民課');
SELECT juki.appoint_security_officer('regress_officer_b', '保険年金課');
SELECT juki_test.tryn($$SELECT juki.appoint_security_officer('regress_officer_a', '住民課')$$);
\c - :su
-- an operator may be a security officer, but not of their own department
GRANT juki_security_officer TO regress_op_b;
\c - regress_chief
SELECT juki_test.tryn($$SELECT juki.appoint_security_officer('regress_op_b', '保険年金課')$$);
SELECT juki.appoint_security_officer('regress_op_b', '住民課');
\c - :su
-- ... and the other way round: a security officer is not registered as an
-- operator of their department
GRANT juki_operator TO regress_officer_a;
\c - regress_manager
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_officer_a', 'A', '住民課')$$);
\c - :su
REVOKE juki_operator FROM regress_officer_a;

---------------------------------------------- retire_security_officer
\c - regress_chief
SELECT juki_test.tryn($$SELECT juki.retire_security_officer('regress_officer_a', NULL)$$);
SELECT juki_test.tryn($$SELECT juki.retire_security_officer('regress_officer_a', '税務課')$$);
SELECT juki.appoint_security_officer('regress_officer_b', '税務課');
SELECT juki.retire_security_officer('regress_officer_b', '税務課');
SELECT juki_test.tryn($$SELECT juki.retire_security_officer('regress_officer_b', '税務課')$$);
-- appointed again after retiring
SELECT juki.appoint_security_officer('regress_officer_b', '税務課');
SELECT juki.retire_security_officer('regress_officer_b', '税務課');
\c - :su

\c - regress_auditor
:showlog;
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

------------------------------------------------------------- designate
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{move_in}', current_date + 30, NULL)$$, :op_a));
\c - regress_officer_a
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, NULL, current_date + 30, NULL)$$, :op_a));
SELECT juki_test.tryn($$SELECT juki.designate(-1, '{move_in}', current_date + 30, NULL)$$);
-- op_b works in 保険年金課: not officer_a's department
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{national_pension}', current_date + 30, NULL)$$, :op_b));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{move_in}', current_date + 30, NULL)$$, :op_c));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{}', current_date + 30, NULL)$$, :op_a));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{move_in,move_in}', current_date + 30, NULL)$$, :op_a));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{move_in,NULL}', current_date + 30, NULL)$$, :op_a));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{move_in}', current_date - 1, NULL)$$, :op_a));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{move_in}', (current_date + interval '1 year 1 day')::date, NULL)$$, :op_a));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{move_in}', current_date + 30, NULL)$$, :op_d));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{move_in,no_such_purpose}', current_date + 30, NULL)$$, :op_a));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{regress_closed}', current_date + 30, NULL)$$, :op_a));
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{move_in,national_pension}', current_date + 30, NULL)$$, :op_a));
-- success: a year at most, today included
SELECT juki.designate(:op_a, '{move_in,move_out,ex_officio_correction,regress_batch}',
                      (current_date + interval '1 year')::date, '窓口担当') AS d1 \gset
SELECT juki.designate(:op_a, '{wide_area_copy_issuance}', current_date, NULL) AS d2 \gset
\c - :su
-- op_b, officer of 住民課, is no officer of his own department 保険年金課,
-- and designates nobody there; nor himself anywhere
\c - regress_op_b
SELECT juki_test.tryn(format($$SELECT juki.designate(%s, '{national_pension}', current_date + 30, NULL)$$, :op_b));
\c - regress_officer_b
SELECT juki.designate(:op_b, '{national_pension,late_elderly_medical}', current_date + 90, NULL) AS d3 \gset
\c - :su

\c - regress_auditor
:showlog;
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

---------------------------------------------------------- designations()
-- each sees their own: officers their departments, operators themselves,
-- the chief everything
\c - regress_officer_a
SELECT role_name, purposes, department, designated_by, valid_until = (current_date + interval '1 year')::date AS one_year, note
  FROM juki.designations() ORDER BY id;
\c - regress_officer_b
SELECT role_name, purposes, department, designated_by FROM juki.designations() ORDER BY id;
\c - regress_op_a
SELECT role_name, purposes FROM juki.designations() ORDER BY id;
\c - regress_op_d
SELECT count(*) AS own_designations FROM juki.designations();
\c - regress_chief
SELECT role_name, purposes FROM juki.designations() ORDER BY id;
\c - regress_manager
SELECT juki_test.tryn('SELECT count(*) FROM juki.designations()');
\c - :su

-------------------------------------------------------- request_permit
-- without a logged-in operator session
\c - regress_op_a
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '転入届の確認', now() + interval '1 day')$$);
\c - :su
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '転入届の確認', now() + interval '1 day')$$);
\c - regress_officer_a
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '転入届の確認', now() + interval '1 day')$$);
\c - :su

-- op_a logs in with the IC card: CARD-A1 holds RFC 8032 test key 1, whose
-- private key signs the challenge here (psql hands it to openssl)
\! printf '%s\n' '-----BEGIN PRIVATE KEY-----' 'MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g' '-----END PRIVATE KEY-----' > regress_card_a.pem
\c - regress_op_a
SELECT encode(juki.card_challenge('CARD-A1'), 'hex') AS challenge \gset
\set signature `perl -e 'print pack("H*", shift)' :'challenge' > regress_challenge.bin && openssl pkeyutl -sign -inkey regress_card_a.pem -rawin -in regress_challenge.bin | perl -0777 -ne 'print unpack("H*", $_)'`
SELECT juki.card_login('CARD-A1', decode(:'signature', 'hex'), 'ぱすわーどabc1') AS token_a \gset
BEGIN;
SELECT juki.attach(:'token_a');
SELECT juki_test.tryn($$SELECT juki.request_permit(NULL, '転入届の確認', now() + interval '1 day')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', ' ', now() + interval '1 day')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('no_such_purpose', '確認', now() + interval '1 day')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('regress_closed', '確認', now() + interval '1 day')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('birth_death_entry', '確認', now() + interval '1 day')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('national_pension', '確認', now() + interval '1 day')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '確認', now() - interval '1 second')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '確認', now() + interval '32 days')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '確認', now() + interval '1 day', '{}')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '確認', now() + interval '1 day', '{12345678901,NULL}')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '確認', now() + interval '1 day', '{12345678901,1234567890X}')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '確認', now() + interval '1 day', '{12345678901,12345678901}')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '確認', now() + interval '1 day',
                         array(SELECT lpad(g::text, 11, '0') FROM generate_series(1, 1001) g))$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('ex_officio_correction', '職権修正', now() + interval '1 day')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '確認', now() + interval '1 day', NULL, 0)$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('regress_batch', '一括', now() + interval '1 day')$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('regress_batch', '一括', now() + interval '1 day', NULL, 0)$$);
SELECT juki_test.tryn($$SELECT juki.request_permit('move_in', '確認', now() + interval '1 day', NULL, NULL, NULL)$$);
-- success
SELECT juki.request_permit('move_in', '転入届 2 件の確認', now() + interval '1 day',
                           '{12345678901,23456789012}') AS p1 \gset
SELECT juki.request_permit('move_out', '転出証明書', now() + interval '31 days') AS p2 \gset
SELECT juki.request_permit('regress_batch', '一括抽出', now() + interval '7 days', NULL, 500, true) AS p3 \gset
SELECT juki.request_permit('wide_area_copy_issuance', '広域交付', now() + interval '2 seconds') AS p4 \gset
COMMIT;
\c - :su
INSERT INTO juki_test.officer_ids VALUES ('permit', :p1, 'p1'), ('permit', :p2, 'p2'), ('permit', :p3, 'p3'), ('permit', :p4, 'p4');

-- op_b requests one too, with a card whose key is made here
\! openssl genpkey -algorithm ed25519 -out regress_card_b.pem
\set pub_b `openssl pkey -in regress_card_b.pem -pubout`
\c - regress_manager
SELECT juki.register_card(:op_b, 'CARD-B2', :'pub_b', current_date + 30);
\c - regress_op_b
SELECT encode(juki.card_challenge('CARD-B2'), 'hex') AS challenge \gset
\set signature `perl -e 'print pack("H*", shift)' :'challenge' > regress_challenge.bin && openssl pkeyutl -sign -inkey regress_card_b.pem -rawin -in regress_challenge.bin | perl -0777 -ne 'print unpack("H*", $_)'`
SELECT juki.card_login('CARD-B2', decode(:'signature', 'hex'), 'Hoken-2024!') AS token_b \gset
BEGIN;
SELECT juki.attach(:'token_b');
SELECT juki.request_permit('national_pension', '年金資格の確認', now() + interval '1 day') AS p5 \gset
COMMIT;
\c - :su
INSERT INTO juki_test.officer_ids VALUES ('permit', :p5, 'p5');

\c - regress_auditor
:showlog;
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

------------------------------------------- approve_permit, reject_permit
SELECT juki_test.tryn(format('SELECT juki.approve_permit(%s)', :p1));
\c - regress_op_a
SELECT juki_test.tryn(format('SELECT juki.approve_permit(%s)', :p1));
\c - regress_officer_a
SELECT juki_test.tryn('SELECT juki.approve_permit(NULL)');
SELECT juki_test.tryn('SELECT juki.approve_permit(-1)');
SELECT juki_test.tryn(format('SELECT juki.approve_permit(%s)', :p5));
\c - regress_officer_b
SELECT juki_test.tryn(format('SELECT juki.approve_permit(%s)', :p1));
-- op_b, officer of 住民課, cannot approve his own request
\c - regress_op_b
SELECT juki_test.tryn(format('SELECT juki.approve_permit(%s)', :p5));
SELECT juki_test.tryn(format('SELECT juki.reject_permit(%s, ''mine'')', :p5));
\c - regress_officer_a
SELECT juki.approve_permit(:p1);
SELECT juki_test.tryn(format('SELECT juki.approve_permit(%s)', :p1));
SELECT juki_test.tryn(format('SELECT juki.reject_permit(%s, ''too late'')', :p1));
SELECT juki_test.tryn(format('SELECT juki.reject_permit(%s, NULL)', :p3));
SELECT juki_test.tryn(format('SELECT juki.reject_permit(%s, '' '')', :p3));
SELECT juki.reject_permit(:p3, '一括抽出は年度末のみ');
SELECT juki_test.tryn(format('SELECT juki.approve_permit(%s)', :p3));
-- p4's two seconds are over
SELECT pg_sleep(2.5);
SELECT juki_test.tryn(format('SELECT juki.approve_permit(%s)', :p4));
\c - regress_officer_b
SELECT juki.approve_permit(:p5);
\c - :su

---------------------------------------------------- revoke_designation
\c - regress_officer_b
SELECT juki_test.tryn(format('SELECT juki.revoke_designation(%s, ''moved'')', :d1));
\c - regress_officer_a
SELECT juki_test.tryn(format('SELECT juki.revoke_designation(%s, NULL)', :d1));
SELECT juki_test.tryn('SELECT juki.revoke_designation(-1, ''moved'')');
SELECT juki.revoke_designation(:d1, '異動のため');
SELECT juki_test.tryn(format('SELECT juki.revoke_designation(%s, ''again'')', :d1));
-- a permit is approved only while its operator is designated
SELECT juki_test.tryn(format('SELECT juki.approve_permit(%s)', :p2));
\c - :su

\c - regress_auditor
:showlog;
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

--------------------------------------------------------------- permits()
\c - regress_officer_a
SELECT p.name AS permit, role_name, purpose, residents, bulk_rows, off_hours, requested_by, decided_by,
       decision_reason, status
  FROM juki.permits() JOIN juki_test.officer_ids p ON p.kind = 'permit' AND p.id = permits.id ORDER BY permits.id;
\c - regress_officer_b
SELECT p.name AS permit, role_name, purpose, status FROM juki.permits() JOIN juki_test.officer_ids p ON p.kind = 'permit' AND p.id = permits.id;
\c - regress_op_a
SELECT p.name AS permit, purpose, status FROM juki.permits() JOIN juki_test.officer_ids p ON p.kind = 'permit' AND p.id = permits.id ORDER BY 1;
\c - regress_op_d
SELECT count(*) AS own_permits FROM juki.permits();
\c - regress_chief
SELECT count(*) AS all_permits FROM juki.permits();
\c - :su
SELECT juki_test.tryn('SELECT count(*) FROM juki.permits()');

\c - regress_auditor
:showlog;
\c - :su
\! rm -f regress_card_a.pem regress_card_b.pem regress_challenge.bin
