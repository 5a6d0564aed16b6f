-- 帳票 (要領 第3 2(2)③, 2(4)): the form ledger.  Forms are issued only for
-- purposes that allow them, numbered per year, holding the disclosed fields
-- only; a security officer files them; destroying one takes two officers,
-- never the one who requested it nor the operator who printed it.
\set su :USER
SELECT last_seq AS seq0 FROM juki.status() \gset
SELECT resident_code AS r1 FROM juki_test.town WHERE status = 'active' ORDER BY resident_code LIMIT 1 \gset
SELECT resident_code AS r2 FROM juki_test.town WHERE status = 'active' ORDER BY resident_code OFFSET 1 LIMIT 1 \gset
-- serials of this year: YYYY-000001 was printed by regress_op_ed (door_policy),
-- YYYY-000002 by the contractor's handler (contractors)
SELECT to_char(now() AT TIME ZONE timezone, 'YYYY') AS yr FROM juki.status() \gset
\set s1 :yr-000001
\set s2 :yr-000002
\set s3 :yr-000003
\set s4 :yr-000004
CREATE FUNCTION juki_test.tryf(q text) RETURNS text LANGUAGE sql AS $$
	SELECT regexp_replace(regexp_replace(juki_test.try(q), '\d{4}-(\d{6})', 'YYYY-\1', 'g'),
		'(operator|permit) \d+', '\1 N', 'g')
$$;

-- a 住民課 operator prints two forms
\c - regress_op_p256
\set card CARD-P256-1
\set key keys/card_p256.pem
\set pw Madoguchi#2026
\i login.psql
BEGIN;
SELECT juki.attach(:'token');
SELECT juki.request_permit('wide_area_copy_issuance', 'counter: copies', now() + interval '1 day') AS p_permit \gset
COMMIT;
\c - regress_officer_j
SELECT juki.approve_permit(:p_permit);
\c - regress_op_p256
BEGIN;
SELECT juki.attach(:'token');
-- forms only where the purpose allows them (move_in does not)
SELECT juki_test.tryf(format('SELECT juki.issue_form(%L, %L, %L)', 'move_in', :'r1', 'juminhyo_copy'));
SELECT serial = :'s3' AS third_serial, form_type, purpose, ((content).disclosed_fields @> p.disclosed_fields AND (content).disclosed_fields <@ p.disclosed_fields) AS fields_of_purpose,
	   (content).individual_number IS NULL AS my_number_hidden
  FROM juki.issue_form('wide_area_copy_issuance', :'r1', 'juminhyo_copy'),
	   (SELECT disclosed_fields FROM juki.purposes() WHERE code = 'wide_area_copy_issuance') p;
SELECT serial = :'s4' AS fourth_serial FROM juki.issue_form('wide_area_copy_issuance', :'r2', 'kisai_jiko_shomei');
-- operators do not manage the ledger
SELECT juki_test.tryf(format('SELECT juki.file_form(%L)', :'s3'));
COMMIT;
\c - :su

-- the ledger: what the officers of 住民課 see
\c - regress_officer_j
SELECT substr(serial, 6) AS no, form_type, purpose, role_name, department, residents = ARRAY[:'r1'] AS r1, status
  FROM juki.forms() ORDER BY serial;
\c - :su
-- another department's officer sees none of them
\c - regress_officer_h
SELECT count(*) AS forms_seen FROM juki.forms();
\c - :su

------------------------------------------------------------------ file_form
\c - regress_officer_h
SELECT juki_test.tryf(format('SELECT juki.file_form(%L)', :'s3'));
\c - regress_officer_j
SELECT juki_test.tryf('SELECT juki.file_form(NULL)');
SELECT juki_test.tryf('SELECT juki.file_form(''no-such-form'')');
SELECT juki_test.tryf('SELECT juki.file_form(''1999-999999'')');
SELECT juki.file_form(:'s3');
SELECT juki_test.tryf(format('SELECT juki.file_form(%L)', :'s3'));

------------------------------------------------------ destruction in two steps
SELECT juki_test.tryf(format('SELECT juki.request_form_destruction(%L, NULL)', :'s3'));
SELECT juki_test.tryf(format('SELECT juki.request_form_destruction(%L, %L)', :'s3', repeat('x', 201)));
SELECT juki_test.tryf('SELECT juki.request_form_destruction(''1999-999999'', ''shredded'')');
-- approving what nobody requested
SELECT juki_test.tryf(format('SELECT juki.approve_form_destruction(%L)', :'s3'));
SELECT juki_test.tryf(format('SELECT juki.destroy_form(%L, %L)', :'s3', 'shredded'));
SELECT juki.request_form_destruction(:'s3', 'shredded (cross-cut)');
SELECT juki_test.tryf(format('SELECT juki.request_form_destruction(%L, %L)', :'s3', 'again'));
-- the requester does not approve
SELECT juki_test.tryf(format('SELECT juki.approve_form_destruction(%L)', :'s3'));
\c - :su
-- nor an officer of another department
\c - regress_officer_h
SELECT juki_test.tryf(format('SELECT juki.approve_form_destruction(%L)', :'s3'));
\c - :su
-- a second officer of 住民課 does
\c - regress_officer_j2
SELECT juki_test.tryf('SELECT juki.approve_form_destruction(''1999-999999'')');
SELECT juki.approve_form_destruction(:'s3');
SELECT juki_test.tryf(format('SELECT juki.approve_form_destruction(%L)', :'s3'));
SELECT juki_test.tryf(format('SELECT juki.file_form(%L)', :'s3'));
-- destroy_form is the approval step: it must name the method requested
\c - regress_officer_j
SELECT juki.request_form_destruction(:'s4', 'dissolved');
\c - regress_officer_j2
SELECT juki_test.tryf(format('SELECT juki.destroy_form(%L, %L)', :'s4', 'shredded'));
SELECT juki_test.tryf(format('SELECT juki.destroy_form(%L, NULL)', :'s4'));
SELECT juki.destroy_form(:'s4', 'dissolved');
SELECT substr(serial, 6) AS no, status, destruction_requested_by, destroy_method, destroyed_by, destroy_approved_by,
	   filed_at IS NOT NULL AS was_filed, destroyed_at IS NOT NULL AS destroyed
  FROM juki.forms() WHERE serial IN (:'s3', :'s4') ORDER BY serial;
\c - :su

-- the operator who printed a form, later an officer of the same department,
-- neither requests nor approves its destruction
\c - regress_door_am
SELECT juki.retire_operator(id, 'regress: moved to the security office') FROM juki.operators()
 WHERE role_name = 'regress_op_ed';
\c - :su
SET client_min_messages = warning;
GRANT juki_security_officer TO regress_op_ed;
RESET client_min_messages;
\c - regress_door_chief
SELECT juki.appoint_security_officer('regress_op_ed', '住民課');
\c - regress_op_ed
SELECT juki_test.tryf(format('SELECT juki.request_form_destruction(%L, %L)', :'s1', 'shredded'));
\c - regress_officer_j
SELECT juki.request_form_destruction(:'s1', 'shredded');
\c - regress_op_ed
SELECT juki_test.tryf(format('SELECT juki.approve_form_destruction(%L)', :'s1'));
\c - regress_door_chief
SELECT juki.retire_security_officer('regress_op_ed', '住民課');
-- the chief sees the whole ledger
SELECT substr(serial, 6) AS no, role_name, status, destruction_requested_by IS NOT NULL AS requested
  FROM juki.forms() ORDER BY serial;
\c - :su

-- the log: every step and refusal, with the form serial
\c - regress_auditor
SELECT action, outcome, reason, db_role, regexp_replace(detail->>'form_serial', '^\d{4}', 'YYYY') AS serial,
	   detail->>'method' AS method
  FROM juki.operation_log
 WHERE seq > :seq0 AND action IN ('issue_form', 'file_form', 'request_form_destruction', 'approve_form_destruction',
								  'destroy_form')
 ORDER BY seq;
\c - :su

-- The ledger row is entered by the audit writer with the log entry, in the
-- log's own transaction: a caller who rolls back after issue_form takes back
-- neither, so the ledger and the log always name the same forms.
\c - regress_op_p256
BEGIN;
SELECT juki.attach(:'token');
SELECT serial AS s5 FROM juki.issue_form('wide_area_copy_issuance', :'r2', 'juminhyo_copy') \gset
ROLLBACK;
\c - :su
SELECT :'s5' = :'yr' || '-000005' AS fifth_serial;
\c - regress_door_chief
SELECT substr(serial, 6) AS no, role_name, status, residents = ARRAY[:'r2'] AS r2
  FROM juki.forms() WHERE serial = :'s5';
SELECT string_agg(serial, ',' ORDER BY serial) AS ledger FROM juki.forms() \gset
\c - regress_auditor
SELECT string_agg(detail->>'form_serial', ',' ORDER BY detail->>'form_serial') AS logged
  FROM juki.operation_log WHERE action = 'issue_form' AND outcome = 'granted' \gset
\c - :su
SELECT :'ledger' = :'logged' AS ledger_and_log_agree, array_length(string_to_array(:'ledger', ','), 1) AS forms;
