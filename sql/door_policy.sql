-- The door, part 3: the decision (policy.c) and disclosure (disclose.c).
-- One refusal per rule with its SQLSTATE and reason, and its logged entry.
\set su :USER
SELECT last_seq AS seq0 FROM juki.status() \gset

-- residents picked from the staging copy of the town
SELECT resident_code AS r1, full_name AS r1_name, to_char(birth_date, 'YYYY-MM-DD') AS r1_birth, address AS r1_address
  FROM juki_test.town WHERE status = 'active' ORDER BY resident_code LIMIT 1 \gset
SELECT resident_code AS r_removed FROM juki_test.town WHERE status = 'removed' ORDER BY resident_code LIMIT 1 \gset
SELECT resident_code AS protected FROM juki_test.town WHERE status = 'active'
 ORDER BY resident_code OFFSET 5 LIMIT 1 \gset
SELECT address AS household FROM juki_test.town WHERE status = 'active'
 GROUP BY address HAVING count(*) >= 3 ORDER BY address LIMIT 1 \gset

-- the operator logs in
\c - regress_op_ed
\set card CARD-ED-1
\set key keys/card_ed25519.pem
\set pw Madoguchi#2026
\i login.psql
\set ed_token :token

-- not_authenticated: no session attached to this transaction
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'wide_area_copy_issuance', :'r1'));

-- no_permit: designated, but nothing approved yet
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'wide_area_copy_issuance', :'r1'));
SELECT juki.request_permit('wide_area_copy_issuance', 'counter: copies of 住民票',
						   now() + interval '1 day') AS permit_copy \gset
COMMIT;
\c - :su
-- a pending permit is not a permit
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'wide_area_copy_issuance', :'r1'));
COMMIT;
\c - regress_officer_j
SELECT juki.approve_permit(:permit_copy);
\c - :su

-- granted: only the purpose's fields are real, the rest NULL
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT resident_code = :'r1' AS same_resident, full_name = :'r1_name' AS name_ok,
	   individual_number IS NULL AS my_number_hidden, change_reason IS NULL AS change_hidden,
	   status, disclosed_fields
  FROM juki.lookup('wide_area_copy_issuance', :'r1');
-- search by name and birth date, folded: full-width and spaces do not matter
SELECT count(*) AS found, bool_and(resident_code = :'r1') AS same_resident
  FROM juki.search('wide_area_copy_issuance',
				   jsonb_build_object('full_name', replace(replace(:'r1_name', '　', ' '), ' ', '  '),
									  'birth_date', :'r1_birth'));
-- a removed resident (消除) is not disclosed to a purpose that does not allow it
-- a resident the purpose may not see is no row (issue 19)
SELECT count(*) = 0 AS not_found FROM juki.lookup('wide_area_copy_issuance', :'r_removed');
-- not_designated, purpose_unknown, aggregates_only
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'national_health_insurance', :'r1'));
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'no_such_purpose', :'r1'));
SELECT juki_test.try(format('SELECT juki.lookup(NULL, %L)', :'r1'));
SELECT juki_test.try(format('SELECT * FROM juki.search(%L, %L)', 'population_statistics', '{"address_prefix": "宮城県"}'));
-- bad resident codes
SELECT juki_test.try('SELECT juki.lookup(''wide_area_copy_issuance'', ''1234'')');
SELECT juki_test.try('SELECT juki.lookup(''wide_area_copy_issuance'', ''１２３４５６７８９０１'')');
SELECT juki_test.try('SELECT juki.lookup(''wide_area_copy_issuance'', NULL)');
-- criteria_not_allowed and malformed criteria
SELECT juki_test.try(format('SELECT * FROM juki.search(%L, %L)', 'wide_area_copy_issuance',
							jsonb_build_object('address', :'r1_address')));
SELECT juki_test.try('SELECT * FROM juki.search(''wide_area_copy_issuance'', ''[1,2]'')');
SELECT juki_test.try('SELECT * FROM juki.search(''wide_area_copy_issuance'', ''{}'')');
SELECT juki_test.try('SELECT * FROM juki.search(''wide_area_copy_issuance'', ''{"full_name": 1, "birth_date": "1990-01-01"}'')');
SELECT juki_test.try('SELECT * FROM juki.search(''wide_area_copy_issuance'', ''{"nickname": "x"}'')');
SELECT juki_test.try('SELECT * FROM juki.search(''wide_area_copy_issuance'', ''{"full_name": "x", "birth_date": "1990-02-30"}'')');
SELECT juki_test.try('SELECT * FROM juki.search(''wide_area_copy_issuance'', NULL)');
SELECT juki_test.try(format('SELECT * FROM juki.search(%L, %L)', 'wide_area_copy_issuance',
							jsonb_build_object('full_name', repeat('あ', 5000), 'birth_date', '1990-01-01')));
-- resident_restricted: under a support measure, not for this purpose
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'wide_area_copy_issuance', :'protected'));
-- form_not_allowed (move_in prints no forms); a form where allowed
SELECT juki_test.try(format('SELECT juki.issue_form(%L, %L, %L)', 'move_in', :'r1', 'juminhyo_copy'));
SELECT serial ~ '^\d{4}-000001$' AS first_serial, form_type, purpose, (content).resident_code = :'r1' AS same_resident,
	   (content).individual_number IS NULL AS my_number_hidden
  FROM juki.issue_form('wide_area_copy_issuance', :'r1', 'juminhyo_copy');
SELECT juki.request_permit('move_in', 'move-in of a protected resident', now() + interval '1 day',
						   residents => ARRAY[:'protected']) AS permit_protected \gset
SELECT juki.request_permit('move_out', 'short window', now() + interval '2 seconds') AS permit_short \gset
COMMIT;
\c - regress_officer_j2
SELECT juki.approve_permit(:permit_protected);
SELECT juki.approve_permit(:permit_short);
\c - :su

\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
-- the permit names the protected resident, and move_in allows support measures: NOTICE
SELECT resident_code = :'protected' AS same_resident, individual_number IS NOT NULL AS my_number_shown
  FROM juki.lookup('move_in', :'protected');
-- under that permit, another resident is not named
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'move_in', :'r1'));
COMMIT;
SELECT pg_sleep(2.5);
-- permit_expired
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'move_out', :'r1'));
COMMIT;
\c - :su

-- outside_hours: the system administrator closes wide_area_copy_issuance
\c - regress_door_sys
SELECT juki.set_operating_hours('wide_area_copy_issuance', '{0,1,2,3,4,5,6}', NULL, NULL);
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'wide_area_copy_issuance', :'r1'));
SELECT juki.request_permit('wide_area_copy_issuance', 'after-hours emergency', now() + interval '1 hour',
						   off_hours => true) AS permit_night \gset
COMMIT;
\c - regress_officer_j
SELECT juki.approve_permit(:permit_night);
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT (juki.lookup('wide_area_copy_issuance', :'r1')).resident_code = :'r1' AS off_hours_allowed;
COMMIT;
\c - regress_door_sys
SELECT juki.set_operating_hours('wide_area_copy_issuance', '{0,1,2,3,4,5,6}', '00:00', '24:00');
-- a listing purpose with a small limit, and a bulk purpose, for the limits
SELECT juki.define_purpose('regress_listing', 'regress: household listing', 'regress', '住民課',
						   '{full_name,address,resident_code}', '{address}', 2) AS v \gset
SELECT juki.define_purpose('regress_bulk', 'regress: batch by birth date', 'regress', '住民課',
						   '{full_name,birth_date,resident_code}', '{birth_date_from+birth_date_to}', NULL,
						   allows_bulk => true) AS v \gset
\c - regress_officer_j
SELECT juki.designate(id, '{regress_listing,regress_bulk}', current_date + 30, 'regress') > 0 AS designated
  FROM juki.operators() WHERE role_name = 'regress_op_ed';
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT juki.request_permit('regress_listing', 'households', now() + interval '1 day') AS permit_list \gset
SELECT juki.request_permit('regress_bulk', 'one batch', now() + interval '1 day', bulk_rows => 1000) AS permit_bulk \gset
SELECT juki.request_permit('regress_bulk', 'a too small batch', now() + interval '1 day', bulk_rows => 3) AS permit_bulk_small \gset
COMMIT;
\c - regress_officer_j
SELECT juki.approve_permit(:permit_list);
SELECT juki.approve_permit(:permit_bulk);
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
-- too_many_rows: the whole request is refused, never truncated
SELECT juki_test.try(format('SELECT * FROM juki.search(%L, %L)', 'regress_listing',
							jsonb_build_object('address', :'household')));
-- a bulk permit serves one request, then permit_used
SELECT count(*) > 3 AS batch_rows FROM juki.search('regress_bulk', '{"birth_date_from": "1900-01-01", "birth_date_to": "2000-12-31"}');
SELECT juki_test.try('SELECT count(*) FROM juki.search(''regress_bulk'', ''{"birth_date_from": "1900-01-01", "birth_date_to": "1950-12-31"}'')');
COMMIT;
\c - regress_officer_j
SELECT juki.approve_permit(:permit_bulk_small);
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT juki_test.try('SELECT count(*) FROM juki.search(''regress_bulk'', ''{"birth_date_from": "1900-01-01", "birth_date_to": "2000-12-31"}'')');
COMMIT;
\c - :su
-- purpose_inactive: a new version retires the purpose
\c - regress_door_sys
SELECT juki.define_purpose('regress_listing', 'regress: household listing', 'regress', '住民課',
						   '{full_name,address,resident_code}', '{address}', 2, active => false) AS v \gset
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT juki_test.try(format('SELECT * FROM juki.search(%L, %L)', 'regress_listing',
							jsonb_build_object('address', :'household')));
COMMIT;
\c - :su

-- 作動停止: the chief stops everything; auditors still read the log
\c - regress_door_chief
SELECT juki.emergency_stop('regress: suspected leak');
\c - :su
SELECT emergency_stop FROM juki.status();
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'wide_area_copy_issuance', :'r1'));
COMMIT;
SELECT juki_test.try('SELECT juki.card_challenge(''CARD-ED-1'')');
\c - regress_auditor
SELECT count(*) > 0 AS auditor_reads FROM juki.operation_log WHERE action = 'emergency_stop';
\c - regress_door_chief
SELECT juki.emergency_resume('regress: all clear');
\c - :su

-- one statement for a pooled application: attach and disclose in one call;
-- the next statement (another transaction) is nobody again
\c - regress_op_ed
SELECT (juki.lookup('wide_area_copy_issuance', :'r1', :'ed_token')).resident_code = :'r1' AS one_statement;
SELECT count(*) AS searched FROM juki.search('wide_area_copy_issuance',
	jsonb_build_object('full_name', :'r1_name', 'birth_date', :'r1_birth'), :'ed_token');
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'wide_area_copy_issuance', :'r1'));
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L, %L)', 'wide_area_copy_issuance', :'r1', 'bad-token'));
\c - :su

-- card_revoked: the access manager revokes a card while its session lives
\c - regress_door_am
SELECT juki.revoke_card('CARD-ED-1', 'regress: card lost');
\c - regress_op_ed
BEGIN;
SELECT juki.attach(:'ed_token');
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'wide_area_copy_issuance', :'r1'));
COMMIT;
\c - :su

-- the log: every decision with its reason, residents and disclosed fields
\c - regress_auditor
SELECT action, outcome, reason, purpose, permit_id IS NOT NULL AS permit, row_count,
	   subjects IS NOT NULL AS subjects, fields IS NOT NULL AS fields, criteria IS NOT NULL AS criteria
  FROM juki.operation_log
 WHERE seq > :seq0 AND action IN ('lookup', 'search', 'issue_form', 'emergency_stop', 'emergency_resume', 'card_challenge')
 ORDER BY seq;
-- a granted lookup names the resident and the fields actually disclosed
SELECT subjects = ARRAY[:'r1'] AS names_resident, fields, detail->>'purpose_version' AS version
  FROM juki.operation_log
 WHERE seq > :seq0 AND action = 'lookup' AND outcome = 'granted' ORDER BY seq LIMIT 1;
SELECT (detail->>'support_measure')::int AS protected_rows FROM juki.operation_log
 WHERE seq > :seq0 AND action = 'lookup' AND purpose = 'move_in' AND outcome = 'granted';
\c - :su
