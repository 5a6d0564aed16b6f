-- The one visibility rule (src/door/visibility.c): lookup and search agree on
-- every resident of the town, for purposes that do and do not allow removed
-- residents (消除), residents under a support measure (DV等支援措置) and minors,
-- under general permits and under a permit naming a few residents.  A lookup
-- discloses a resident exactly when a search by that resident's code does,
-- and then the same row; a lookup refuses (resident_restricted, no_permit)
-- or answers NULL exactly where the search leaves the resident out.
\set su :USER
SELECT last_seq AS seq0 FROM juki.status() \gset

-- residents: door_setup's protected one, a removed one and a minor put under
-- a measure too, and a measure that starts only next week
SELECT resident_code AS protected FROM juki_test.town WHERE status = 'active'
 ORDER BY resident_code OFFSET 5 LIMIT 1 \gset
SELECT resident_code AS removed_protected FROM juki_test.town WHERE status = 'removed'
 ORDER BY resident_code LIMIT 1 \gset
SELECT resident_code AS minor_protected FROM juki_test.town
 WHERE status = 'active' AND birth_date > current_date - interval '17 years'
 ORDER BY resident_code LIMIT 1 \gset
SELECT resident_code AS later_protected FROM juki_test.town WHERE status = 'active'
 ORDER BY resident_code OFFSET 7 LIMIT 1 \gset
SELECT resident_code AS named_plain FROM juki_test.town WHERE status = 'active'
 ORDER BY resident_code OFFSET 9 LIMIT 1 \gset
SELECT resident_code AS named_removed FROM juki_test.town WHERE status = 'removed'
 ORDER BY resident_code OFFSET 1 LIMIT 1 \gset
\c - regress_door_reg
SELECT juki.set_support_measure(:'removed_protected', current_date - 30, current_date + 30, 'regress') > 0 AS measure;
SELECT juki.set_support_measure(:'minor_protected', current_date, current_date + 30, 'regress') > 0 AS measure;
SELECT juki.set_support_measure(:'later_protected', current_date + 7, current_date + 60, 'regress') > 0 AS measure;
\c - :su

-- four purposes of 住民課 that differ only in what they let a request see;
-- ceilings high enough for every resident of the town
\c - regress_door_sys
SELECT juki.define_purpose(p.code, 'visibility', 'regress', '住民課',
		'{resident_code,full_name,birth_date,address}', '{resident_code}', 5,
		allows_removed => p.removed, allows_support_measure => p.protected, min_age => p.min_age,
		statement_rows => 10000, window_rows => 10000) > 0 AS defined
  FROM (VALUES ('regress_vis_plain', false, false, NULL::int),
			   ('regress_vis_removed', true, true, NULL),
			   ('regress_vis_adult', true, true, 18),
			   ('regress_vis_named', false, true, NULL)) AS p(code, removed, protected, min_age)
 ORDER BY p.code;
\c - :su

-- the operator of 住民課 is designated for them, and asks for permits:
-- general ones, and one naming five residents
\c - regress_op_p256
\set card CARD-P256-1
\set key keys/card_p256.pem
\set pw Madoguchi#2026
\i login.psql
BEGIN;
SELECT juki.attach(:'token');
SELECT operator_id AS op_p256 FROM juki.whoami() \gset
COMMIT;
\c - regress_officer_j
SELECT juki.designate(:op_p256, '{regress_vis_plain,regress_vis_removed,regress_vis_adult,regress_vis_named}',
					  current_date + 30, 'visibility') > 0 AS designated;
\c - regress_op_p256
BEGIN;
SELECT juki.attach(:'token');
SELECT string_agg(juki.request_permit(p, 'visibility', now() + interval '1 day')::text, ',') AS general
  FROM unnest('{regress_vis_plain,regress_vis_removed,regress_vis_adult}'::text[]) AS p \gset
SELECT juki.request_permit('regress_vis_named', 'visibility', now() + interval '1 day',
						   residents => ARRAY[:'protected', :'removed_protected', :'minor_protected',
											  :'named_plain', :'named_removed']) AS named \gset
COMMIT;
\c - regress_officer_j
SELECT count(juki.approve_permit(id::bigint)) AS approved
  FROM unnest(string_to_array(:'general' || ',' || :'named', ',')) AS id;
\c - :su

-- every resident, every purpose: a lookup, and a search by the same code
\c - regress_op_p256
BEGIN;
SELECT juki.attach(:'token');
CREATE TEMP TABLE vis (purpose text, resident_code text, lookup text, looked jsonb, found bigint, searched jsonb);
SET client_min_messages = warning;	-- a NOTICE per protected resident disclosed
DO $$
DECLARE
	p text;
	r record;
	l jsonb;
	outcome text;
	n bigint;
	s jsonb;
BEGIN
	FOREACH p IN ARRAY '{regress_vis_plain,regress_vis_removed,regress_vis_adult,regress_vis_named}'::text[]
	LOOP
		FOR r IN SELECT t.resident_code FROM juki_test.town t ORDER BY t.resident_code
		LOOP
			BEGIN
				l := to_jsonb(juki.lookup(p, r.resident_code));
				outcome := CASE WHEN l IS NULL THEN 'null' ELSE 'row' END;
			EXCEPTION WHEN insufficient_privilege THEN
				l := NULL;
				GET STACKED DIAGNOSTICS outcome = PG_EXCEPTION_DETAIL;
				outcome := substring(outcome FROM 'reason: ([a-z_]+)');
			END;
			SELECT count(*), min(to_jsonb(x)::text)::jsonb INTO n, s
			  FROM juki.search(p, jsonb_build_object('resident_code', r.resident_code)) AS x;
			INSERT INTO vis VALUES (p, r.resident_code, outcome, l, n, s);
		END LOOP;
	END LOOP;
END
$$;
RESET client_min_messages;
COMMIT;

-- agreement, per purpose: disclosed by both or by neither, and the same row
SELECT purpose, count(*) AS residents,
	   count(*) FILTER (WHERE (looked IS NOT NULL) <> (found = 1) OR looked <> searched
						   OR found > 1) AS disagree,
	   count(*) FILTER (WHERE lookup = 'row') > 0 AS some_disclosed,
	   count(*) FILTER (WHERE lookup = 'null') > 0 AS some_hidden,
	   count(*) FILTER (WHERE lookup = 'resident_restricted') > 0 AS some_restricted,
	   count(*) FILTER (WHERE lookup = 'no_permit') > 0 AS some_not_named
  FROM vis GROUP BY purpose ORDER BY purpose;
-- the residents each rule is about, by what each path made of them
SELECT purpose, CASE resident_code WHEN :'protected' THEN 'protected' WHEN :'removed_protected' THEN 'removed, protected'
		WHEN :'minor_protected' THEN 'minor, protected' WHEN :'later_protected' THEN 'protected from next week'
		WHEN :'named_plain' THEN 'named' WHEN :'named_removed' THEN 'named, removed' END AS resident,
	   lookup, found AS search_rows
  FROM vis
 WHERE resident_code IN (:'protected', :'removed_protected', :'minor_protected', :'later_protected',
						 :'named_plain', :'named_removed')
 ORDER BY purpose, resident;
-- any disagreement, named (none expected)
SELECT purpose, resident_code, lookup, found FROM vis
 WHERE (looked IS NOT NULL) <> (found = 1) OR looked <> searched OR found > 1
 ORDER BY 1, 2;
\c - :su

-- criteria are logged as given, through the one canonicaliser (format/json.c):
-- numbers an entry cannot hold become strings, an integral 1.0 is 1
\c - regress_op_p256
BEGIN;
SELECT juki.attach(:'token');
SELECT juki_test.try($$SELECT * FROM juki.search('regress_vis_plain',
	'{"resident_code": 1.0, "n": [1.50, 2e3, 99999999999999999999, -0.0, {"b": "x", "a": null}]}')$$);
COMMIT;
\c - regress_auditor
SELECT criteria FROM juki.operation_log
 WHERE seq > :seq0 AND action = 'search' AND reason = 'invalid_criteria' ORDER BY seq DESC LIMIT 1;
\c - :su
