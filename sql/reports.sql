-- 監査 (要領 第1 5, 第2 3): the reports of auditors and the chief, each a
-- function returning a table an auditor can filter further, each call
-- logged once.  Known data: what the contractors and forms tests did (since
-- the mark they left), plus one off-hours disclosure made here; where a
-- report covers the whole log, the earlier door_* tests too.
\set su :USER
SELECT at AS t0 FROM juki_test.marks WHERE name = 'contractors' \gset
SELECT last_seq AS seq0 FROM juki.status() \gset
SELECT resident_code AS r1 FROM juki_test.town WHERE status = 'active' ORDER BY resident_code LIMIT 1 \gset
SELECT resident_code AS r2 FROM juki_test.town WHERE status = 'active' ORDER BY resident_code OFFSET 1 LIMIT 1 \gset

-- one off-hours disclosure: the counter is closed, an off-hours permit is approved
\c - regress_door_sys
SELECT juki.set_operating_hours('wide_area_copy_issuance', '{0,1,2,3,4,5,6}', NULL, NULL);
\c - regress_op_p256
\set card CARD-P256-1
\set key keys/card_p256.pem
\set pw Madoguchi#2026
\i login.psql
BEGIN;
SELECT juki.attach(:'token');
SELECT juki.request_permit('wide_area_copy_issuance', 'night: emergency copy', now() + interval '1 hour',
						   off_hours => true) AS p_night \gset
COMMIT;
\c - regress_officer_j
SELECT juki.approve_permit(:p_night);
\c - regress_op_p256
BEGIN;
SELECT juki.attach(:'token');
SELECT (juki.lookup('wide_area_copy_issuance', :'r2')).resident_code = :'r2' AS off_hours_lookup;
COMMIT;
SELECT juki.logout(:'token');
\c - regress_door_sys
SELECT juki.set_operating_hours('wide_area_copy_issuance', '{0,1,2,3,4,5,6}', '00:00', '24:00');
\c - :su

-- only auditors and the chief read reports
\c - regress_officer_j
SELECT juki_test.try('SELECT * FROM juki.report_denials()');
\c - regress_op_p256
SELECT juki_test.try('SELECT * FROM juki.report_provision(''00000000000'')');
\c - :su

\c - regress_auditor
-- bad input: a window the wrong way round, NULLs, bad resident code, bad limits
SELECT juki_test.try('SELECT * FROM juki.report_access(now(), now() - interval ''1 day'')');
SELECT juki_test.try('SELECT * FROM juki.report_denials(NULL)');
SELECT juki_test.try('SELECT * FROM juki.report_provision(''12345'')');
SELECT juki_test.try('SELECT * FROM juki.report_bulk(min_rows => 0)');
SELECT juki_test.try('SELECT * FROM juki.report_shared_ids(max_hours => 0)');
SELECT juki_test.try('SELECT * FROM juki.report_unused_designations(-1)');
SELECT juki_test.try('SELECT * FROM juki.report_outstanding_forms(-1)');
SELECT juki_test.try('SELECT * FROM juki.report_contracts(NULL)');
SELECT juki_test.try('SELECT * FROM juki.report_training_due(400)');

-- access by day, operator, purpose and kind
SELECT day = (now() AT TIME ZONE 'Asia/Tokyo')::date AS today, role_name, display_name, department, purpose, action,
	   granted, denied, rows_disclosed
  FROM juki.report_access(:'t0');

-- 提供状況: the provision record of a resident
SELECT disclosed_on = (now() AT TIME ZONE 'Asia/Tokyo')::date AS today, action, purpose, purpose_title, legal_basis,
	   department, operator_name, contractor, fields, regexp_replace(form_serial, '^\d{4}', 'YYYY') AS form_serial
  FROM juki.report_provision(:'r1', :'t0');
SELECT action, purpose, department, operator_name, contractor, cardinality(fields) AS fields,
	   regexp_replace(form_serial, '^\d{4}', 'YYYY') AS form_serial
  FROM juki.report_provision(:'r2', :'t0');
-- a resident nobody asked about
SELECT count(*) AS disclosures FROM juki.report_provision('00000000000');

-- denials by reason
SELECT reason, action, denials, operators, db_roles, first_at <= last_at AS ordered
  FROM juki.report_denials(:'t0');

-- off-hours disclosures
SELECT day = (now() AT TIME ZONE 'Asia/Tokyo')::date AS today, role_name, department, action, purpose,
	   permit_id = :p_night AS night_permit, row_count
  FROM juki.report_off_hours(:'t0');

-- bulk requests over the whole log (door_policy's batch purpose and listing)
SELECT role_name, purpose, outcome, reason, row_count > 3 AS many_rows, permit_bulk_rows
  FROM juki.report_bulk('-infinity');
SELECT count(*) AS searches_of_100_rows FROM juki.report_bulk('-infinity', min_rows => 100)
 WHERE reason IS NULL AND permit_bulk_rows IS NULL;

-- login failures and lockouts over the whole log (door_session)
-- (this_client: the address of this suite's connections, none over a socket)
SELECT action, outcome, reason, role_name, card_serial,
       client_addr IS NOT DISTINCT FROM host(inet_client_addr()) AS this_client
  FROM juki.report_login_failures('-infinity');

-- possible shared IDs: every session here is local and short (TAP test
-- 030_contract_time shows one seen from two addresses)
SELECT count(*) AS suspicious_sessions FROM juki.report_shared_ids('-infinity');

-- designation and permit changes
SELECT action, changed_by, role_name, purpose, detail ?| '{handler_id,designation_id}' AS names_designation
  FROM juki.report_designation_changes(:'t0');

-- designations unused: none is 90 days old yet; with days => 0, those in
-- force and not used today, filtered by the auditor to the contractors
SELECT count(*) AS unused_90_days FROM juki.report_unused_designations();
SELECT kind, role_name, department, purposes, designated_on = (now() AT TIME ZONE 'Asia/Tokyo')::date AS today, valid_until - current_date AS until_day,
	   last_used IS NOT NULL AS used, days_unused
  FROM juki.report_unused_designations(0) WHERE role_name LIKE 'regress_k_%';
SELECT count(*) > 0 AS staff_listed FROM juki.report_unused_designations(0) WHERE kind = 'designation';

-- forms never destroyed
SELECT substr(serial, 6) AS no, form_type, role_name, department, days_outstanding, status, destruction_requested,
	   destruction_requested_by
  FROM juki.report_outstanding_forms();
SELECT count(*) AS older_than_a_week FROM juki.report_outstanding_forms(7);

-- contracts expiring within 60 days, lacking a pledge or an approval
SELECT contractor, ends_on - current_date AS ends_day, days_left = ends_on - (now() AT TIME ZONE 'Asia/Tokyo')::date AS days_left_ok,
	   pledge_received_on IS NOT NULL AS pledge, approved, contractor_approved,
	   handlers_in_force, max_handlers, issues
  FROM juki.report_contracts();
SELECT contractor, ends_on - current_date AS ends_day, issues FROM juki.report_contracts(0);

-- staff whose training is missing, overdue or due within 30 days
SELECT role_name, department, kind, course, last_completed IS NOT NULL AS trained, due_on - current_date AS due_day, status
  FROM juki.report_training_due();
\c - :su
-- one operator's course runs out in 20 days: due within 30, not within 10
\c - regress_door_am
SELECT juki.record_training(id, 'administrator', current_date - 345) FROM juki.operators() WHERE role_name = 'regress_op_rsa';
\c - regress_auditor
SELECT role_name, course, due_on - current_date BETWEEN 15 AND 25 AS in_about_20_days, days_left = due_on - (now() AT TIME ZONE 'Asia/Tokyo')::date AS days_left_ok,
	   status
  FROM juki.report_training_due() WHERE course = 'administrator';
SELECT count(*) AS due_within_10 FROM juki.report_training_due(10) WHERE course = 'administrator';

-- log health: the last verification, checkpoint and export
SELECT last_seq > 0 AS has_entries, last_verify_at IS NOT NULL AS verified, last_verify_ok,
	   last_checkpoint_seq IS NOT NULL AS checkpointed, last_export_to_seq IS NULL AS never_exported
  FROM juki.report_log_health();
SELECT ok FROM juki.verify_log();
SELECT juki.checkpoint() IS NOT NULL AS checkpoint;
\c - regress_manager
SELECT count(*) > 3 AS exported_lines FROM juki.export_log(0);
\c - regress_door_chief
-- the chief reads them too
SELECT last_verify_at > :'t0' AS verified_now, last_verify_ok, last_verify_by, last_verify_entries > 0 AS entries,
	   last_checkpoint_at > :'t0' AS checkpoint_now, entries_after_checkpoint >= 0 AS checkpoint_covers,
	   last_export_at > :'t0' AS exported_now, entries_after_export >= 0 AS export_covers
  FROM juki.report_log_health();
\c - :su

-- every report call above is on record once, with its row count
\c - regress_auditor
SELECT action, outcome, reason, count(*) AS calls, sum(row_count) IS NOT NULL AS row_counts
  FROM juki.operation_log WHERE seq > :seq0 AND action LIKE 'report\_%'
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 NULLS FIRST;
SELECT subjects = ARRAY[:'r1'] AS names_resident, row_count FROM juki.operation_log
 WHERE seq > :seq0 AND action = 'report_provision' AND outcome = 'granted' ORDER BY seq LIMIT 1;
\c - :su
