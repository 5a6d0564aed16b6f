-- 外部委託 (要領 第4, 第3 2(1)③): contractors and their vetting, the committee
-- review and the chief's approval, contracts and pledges, handlers designated
-- per contract within max_handlers, 再委託 refused in every form, and a
-- contractor's handler whose access ends at once when the pledge, the
-- approval or the designation goes.
\set su :USER
SELECT now() AS t0 \gset
CREATE TABLE juki_test.marks AS SELECT 'contractors'::text AS name, :'t0'::timestamptz AS at;
GRANT SELECT ON juki_test.marks TO PUBLIC;
SELECT last_seq AS seq0 FROM juki.status() \gset
SELECT resident_code AS r1 FROM juki_test.town WHERE status = 'active' ORDER BY resident_code LIMIT 1 \gset

-- ids, dates and contractor numbers vary: mask them
CREATE FUNCTION juki_test.tryk(q text) RETURNS text LANGUAGE sql AS $$
	SELECT regexp_replace(regexp_replace(juki_test.try(q),
		'(operator|permit|designation|contractor|contract) \d+', '\1 N', 'g'),
		'\d{4}-\d{2}-\d{2}', 'YYYY-MM-DD', 'g')
$$;
-- a complete vetting record, every item satisfactory but those named
CREATE FUNCTION juki_test.vetting(unsatisfactory text[] DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_object_agg(i, jsonb_build_object('satisfactory', NOT i = ANY (unsatisfactory),
		'finding', 'regress finding: ' || i, 'evidence', 'regress evidence: ' || i))
	  FROM unnest(ARRAY['financial_soundness', 'stability', 'business_scale', 'business_area',
						'technical_skill', 'training_system', 'privacy_measures', 'security_measures',
						'liability_capacity', 'scandals']) i
$$;

SET client_min_messages = warning;
CREATE ROLE regress_k_both LOGIN;
GRANT juki_chief_security_officer, juki_security_officer TO regress_k_both;
CREATE ROLE regress_k_op1 LOGIN;  GRANT juki_contractor_operator TO regress_k_op1;
CREATE ROLE regress_k_op2 LOGIN;  GRANT juki_contractor_operator TO regress_k_op2;
CREATE ROLE regress_k_op3 LOGIN;  GRANT juki_contractor_operator TO regress_k_op3;
CREATE ROLE regress_k_opf LOGIN;  GRANT juki_contractor_operator TO regress_k_opf;
RESET client_min_messages;
\c - regress_door_chief
SELECT juki.appoint_security_officer('regress_k_both', '住民課');
\c - :su

------------------------------------------------------------ register_contractor
-- the wrong role, an officer without a department
\c - regress_door_chief
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL, juki_test.vetting())$$);
\c - regress_door_am
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL, juki_test.vetting())$$);
\c - regress_officer_j
-- bad input: NULLs, not an object, unknown and missing items, an item without evidence
SELECT juki_test.tryk($$SELECT juki.register_contractor(NULL, NULL, juki_test.vetting())$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL, NULL)$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL, '[]')$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL, juki_test.vetting() || '{"color": {}}')$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL, juki_test.vetting() - 'scandals' - 'business_area')$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL,
	jsonb_set(juki_test.vetting(), '{stability}', '{"satisfactory": true, "finding": "ok"}'))$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL,
	jsonb_set(juki_test.vetting(), '{stability}', '{"satisfactory": "yes", "finding": "ok", "evidence": "e"}'))$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL,
	jsonb_set(juki_test.vetting(), '{stability}', '{"satisfactory": true, "finding": " ", "evidence": "e"}'))$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL,
	jsonb_set(juki_test.vetting(), '{stability}', '{"satisfactory": true, "finding": "f", "evidence": "e", "checked_on": "2999-01-01"}'))$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL,
	jsonb_set(juki_test.vetting(), '{stability}', '{"satisfactory": true, "finding": "f", "evidence": "e", "checked_by": "someone"}'))$$);
-- 再委託: a contractor registered for another contractor, in every form
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL, juki_test.vetting(), parent_contractor => '東北データ入力株式会社')$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL, juki_test.vetting() || '{"parent_contractor": "東北データ入力"}')$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL,
	jsonb_set(juki_test.vetting(), '{scandals}', '{"satisfactory": true, "finding": "f", "evidence": "e", "元請": "A社"}'))$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', NULL, NULL, parent_contractor => 'A社')$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('Ｘ入力（東北データ入力の再委託先）', NULL, juki_test.vetting())$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X Data Entry (Subcontractor)', NULL, juki_test.vetting())$$);
SELECT juki_test.tryk($$SELECT juki.register_contractor('X', '仙台市 A社 下請 作業所', juki_test.vetting())$$);
-- words that deny subcontracting are no declaration; free-text findings are not scanned
SELECT juki.register_contractor('東北データ入力株式会社', '仙台市青葉区1-1 (再委託禁止を確認)',
	jsonb_set(juki_test.vetting(), '{privacy_measures}',
			  jsonb_build_object('satisfactory', true, 'finding', '再委託なし・no subcontracting',
								 'evidence', '契約書案 第12条', 'checked_on', to_char(current_date - 30, 'YYYY-MM-DD')))
) > 0 AS registered;
SELECT juki.register_contractor('仙台情報サービス株式会社', '仙台市宮城野区2-2', juki_test.vetting()) > 0 AS registered;
SELECT juki.register_contractor('不祥事商事', NULL, juki_test.vetting('{scandals,liability_capacity}')) > 0 AS registered;
-- the same name (folded) twice
SELECT juki_test.tryk($$SELECT juki.register_contractor('東北データ入力 株式会社', NULL, juki_test.vetting())$$);
\c - regress_k_both
SELECT juki.register_contractor('自己承認システム', NULL, juki_test.vetting()) > 0 AS registered;
\c - regress_door_chief
SELECT id AS k_a FROM juki.contractors() WHERE name = '東北データ入力株式会社' \gset
SELECT id AS k_d FROM juki.contractors() WHERE name = '仙台情報サービス株式会社' \gset
SELECT id AS k_b FROM juki.contractors() WHERE name = '不祥事商事' \gset
SELECT id AS k_self FROM juki.contractors() WHERE name = '自己承認システム' \gset
-- the vetting record: who checked each item, which are unsatisfactory
SELECT name, address, (SELECT count(*) FROM jsonb_object_keys(vetting)) AS items,
	   (SELECT bool_and(v->>'checked_by' = 'regress_officer_j') FROM jsonb_each(vetting) e(k, v)) AS checked_by_caller,
	   (vetting->'privacy_measures'->>'checked_on')::date - current_date AS privacy_checked_day,
	   (vetting->'stability'->>'checked_on')::date - current_date AS stability_checked_day, unsatisfactory,
	   committee_reviewed_on, approved
  FROM juki.contractors() WHERE registered_by = 'regress_officer_j' ORDER BY id;
\c - :su

------------------------------------------------- committee review and approval
\c - regress_officer_j
SELECT juki_test.tryk(format('SELECT juki.record_committee_review(%s, current_date, %L)', :k_a, 'ok'));
SELECT juki_test.tryk(format('SELECT juki.approve_contractor(%s)', :k_a));
\c - regress_door_chief
SELECT juki_test.tryk(format('SELECT juki.approve_contractor(%s)', :k_a));
SELECT juki_test.tryk(format('SELECT juki.record_committee_review(%s, current_date + 1, %L)', :k_a, 'ok'));
SELECT juki_test.tryk(format('SELECT juki.record_committee_review(%s, current_date, NULL)', :k_a));
SELECT juki_test.tryk('SELECT juki.record_committee_review(-1, current_date, ''ok'')');
SELECT juki_test.tryk('SELECT juki.approve_contractor(-1)');
SELECT juki.record_committee_review(:k_a, current_date, 'セキュリティ会議 第3回: 適格');
SELECT juki.record_committee_review(:k_d, current_date, 'セキュリティ会議 第3回: 適格');
SELECT juki.record_committee_review(:k_b, current_date, 'セキュリティ会議 第3回: 不祥事あり');
SELECT juki.approve_contractor(:k_a);
SELECT juki.approve_contractor(:k_d);
SELECT juki_test.tryk(format('SELECT juki.approve_contractor(%s)', :k_a));
SELECT juki_test.tryk(format('SELECT juki.approve_contractor(%s)', :k_b));
SELECT juki.record_committee_review(:k_self, current_date, 'reviewed');
\c - :su
-- the chief who vetted a contractor does not approve it
\c - regress_k_both
SELECT juki_test.tryk(format('SELECT juki.approve_contractor(%s)', :k_self));
\c - :su

------------------------------------------------------------ register_contract
\c - regress_officer_j
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date - 1, 2)',
	:k_a, '転入届の入力', '{wide_area_copy_issuance}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date - 30, current_date - 1, 2)',
	:k_a, '転入届の入力', '{wide_area_copy_issuance}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 3000, 2)',
	:k_a, '転入届の入力', '{wide_area_copy_issuance}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 0)',
	:k_a, '転入届の入力', '{wide_area_copy_issuance}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 2)',
	:k_a, '転入届の入力', '{wide_area_copy_issuance,no_such_purpose}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 2)',
	:k_a, '転入届の入力', '{}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 2)',
	:k_a, '国保の入力', '{national_health_insurance}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 2)',
	:k_a, '統計', '{population_statistics}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(-1, %L, %L, current_date, current_date + 90, 2)',
	'転入届の入力', '{wide_area_copy_issuance}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, NULL, %L, current_date, current_date + 90, 2)',
	:k_a, '{wide_area_copy_issuance}'));
-- 再委託: a contract naming a subcontractor, in every form
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 2, subcontractor => %L)',
	:k_a, '転入届の入力', '{wide_area_copy_issuance}', '仙台情報サービス株式会社'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 2)',
	:k_a, '転入届の入力 (再委託先: Ｙ社)', '{wide_area_copy_issuance}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 2)',
	:k_a, 'data entry, partly subcontracted to Y Ltd', '{wide_area_copy_issuance}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 2)',
	:k_a, '転入届の入力 (仙台情報サービス 株式会社 と共同)', '{wide_area_copy_issuance}'));
SELECT juki_test.tryk(format('SELECT juki.register_contract(%s, %L, %L, current_date, current_date + 90, 2)',
	:k_a, '転入届の入力', '{wide_area_copy_issuance,subcontract:Y社}'));
-- granted: the contract of A (max 1 handler), a future one of A, one of D, one of B
SELECT juki.register_contract(:k_a, '住民票の写しの広域交付 入力補助 (再委託禁止)', '{wide_area_copy_issuance}',
	current_date - 10, current_date + 100, 1) AS c1 \gset
SELECT juki.register_contract(:k_a, '来年度の入力補助', '{wide_area_copy_issuance}',
	current_date + 30, current_date + 60, 1) AS c_future \gset
SELECT juki.register_contract(:k_d, '入力補助', '{wide_area_copy_issuance}',
	current_date, current_date + 100, 3) AS c_d \gset
SELECT juki.register_contract(:k_b, '入力補助', '{wide_area_copy_issuance}',
	current_date, current_date + 100, 3) AS c_b \gset
\c - :su

------------------------------------------------ handlers need an approved contract
\c - regress_door_am
SELECT juki_test.tryk(format('SELECT juki.register_operator(%L, %L, %L, %L, %s)',
	'regress_k_op1', '東北データ 入力一', '住民課', 'contractor', :c1));
\c - regress_officer_j
SELECT juki_test.tryk(format('SELECT juki.approve_contract(%s)', :c1));
\c - regress_door_chief
SELECT juki_test.tryk('SELECT juki.approve_contract(-1)');
SELECT juki_test.tryk(format('SELECT juki.approve_contract(%s)', :c_b));
SELECT juki.approve_contract(:c1);
SELECT juki.approve_contract(:c_future);
SELECT juki.approve_contract(:c_d);
SELECT juki_test.tryk(format('SELECT juki.approve_contract(%s)', :c1));
\c - :su
-- the chief who registered a contract does not approve it
\c - regress_k_both
SELECT juki.register_contract(:k_a, '自己承認', '{wide_area_copy_issuance}', current_date, current_date + 10, 1) AS c_self \gset
SELECT juki_test.tryk(format('SELECT juki.approve_contract(%s)', :c_self));
\c - :su

\set pub_ed `cat keys/card_ed25519.pub`
\c - regress_door_am
-- a handler of another department than the contract's
SELECT juki_test.tryk(format('SELECT juki.register_operator(%L, %L, %L, %L, %s)',
	'regress_k_op1', '東北データ 入力一', '保険年金課', 'contractor', :c1));
SELECT juki.register_operator('regress_k_op1', '東北データ 入力一', '住民課', 'contractor', :c1) AS k_op1 \gset
SELECT juki.register_operator('regress_k_op2', '東北データ 入力二', '住民課', 'contractor', :c1) AS k_op2 \gset
SELECT juki.register_operator('regress_k_op3', '仙台情報 入力三', '住民課', 'contractor', :c_d) AS k_op3 \gset
SELECT juki.register_operator('regress_k_opf', '東北データ 来年', '住民課', 'contractor', :c_future) AS k_opf \gset
SELECT juki.register_card(:k_op1, 'CARD-K-1', :'pub_ed', current_date + 365);
SELECT juki.register_card(:k_opf, 'CARD-K-F', :'pub_ed', current_date + 365);
SELECT juki.set_password(:k_op1, 'Itaku#2026x');
SELECT juki.set_password(:k_opf, 'Itaku#2026x');
SELECT juki.record_training(:k_op1, 'operator', current_date - 10);
SELECT juki.record_training(:k_op3, 'operator', current_date - 10);
SELECT juki.record_training(:k_opf, 'operator', current_date - 10);
\c - :su

------------------------------------------------------------ designate_handler
\c - regress_officer_j
-- the pledge first
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date, current_date + 30)', :c1, :k_op1));
SELECT juki_test.tryk(format('SELECT juki.record_pledge(%s, current_date + 1)', :c1));
SELECT juki_test.tryk('SELECT juki.record_pledge(-1, current_date)');
SELECT juki_test.tryk(format('SELECT juki.withdraw_pledge(%s, %L)', :c1, 'nothing to withdraw'));
SELECT juki.record_pledge(:c1, current_date);
SELECT juki_test.tryk(format('SELECT juki.record_pledge(%s, current_date)', :c1));
SELECT juki.record_pledge(:c_future, current_date);
SELECT juki.record_pledge(:c_d, current_date);
\c - regress_officer_h
SELECT juki_test.tryk(format('SELECT juki.record_pledge(%s, current_date)', :c_b));
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date, current_date + 30)', :c1, :k_op1));
\c - regress_officer_j
-- staff are designated with designate(), handlers only with designate_handler()
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date, current_date + 30)', :c1, id))
  FROM juki.operators() WHERE role_name = 'regress_op_p256';
SELECT juki_test.tryk(format('SELECT juki.designate(%s, %L, current_date + 30, NULL)', :k_op1, '{wide_area_copy_issuance}'));
-- 再委託: a handler employed by another contractor
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date, current_date + 30)', :c1, :k_op3));
-- a handler registered under another contract of the same contractor
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date, current_date + 30)', :c1, :k_opf));
-- dates: reversed, in the past, outside the contract period
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date + 5, current_date)', :c1, :k_op1));
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date - 1, current_date + 5)', :c1, :k_op1));
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date, current_date + 101)', :c1, :k_op1));
-- no current training
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date, current_date + 30)', :c1, :k_op2));
SELECT juki_test.tryk(format('SELECT juki.designate_handler(NULL, %s, current_date, current_date + 30)', :k_op1));
SELECT juki_test.tryk(format('SELECT juki.designate_handler(-1, %s, current_date, current_date + 30)', :k_op1));
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, -1, current_date, current_date + 30)', :c1));
-- granted; the same again overlaps
SELECT juki.designate_handler(:c1, :k_op1, current_date, current_date + 30) AS h1 \gset
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date + 10, current_date + 40)', :c1, :k_op1));
\c - :su
-- beyond max_handlers (1): k_op2, trained now, is refused while k_op1 is designated
\c - regress_door_am
SELECT juki.record_training(:k_op2, 'operator', current_date);
\c - regress_officer_j
SELECT juki_test.tryk(format('SELECT juki.designate_handler(%s, %s, current_date, current_date + 30)', :c1, :k_op2));
-- after k_op1's designation ends it would fit: counted only where periods overlap
SELECT juki.designate_handler(:c1, :k_op2, current_date + 31, current_date + 60) > 0 AS later_ok;
-- the future contract's handler, designated from the contract's first day
SELECT juki.designate_handler(:c_future, :k_opf, current_date + 30, current_date + 60) > 0 AS designated;
SELECT juki.designate_handler(:c_d, :k_op3, current_date, current_date + 30) > 0 AS designated;
\c - regress_door_chief
SELECT contractor, purposes, max_handlers, handlers_in_force, pledge_received_on = current_date AS pledge, approved
  FROM juki.contracts() WHERE id IN (:c1, :c_future, :c_d, :c_b) ORDER BY id;
SELECT role_name, valid_from - current_date AS from_day, valid_until - current_date AS until_day, revoked_at IS NULL AS in_force
  FROM juki.contract_handlers() ORDER BY id;
\c - :su

------------------------------------------------------- the handler at work
\c - regress_k_op1
\set card CARD-K-1
\set key keys/card_ed25519.pem
\set pw Itaku#2026x
\i login.psql
\set k1_token :token
BEGIN;
SELECT juki.attach(:'k1_token');
SELECT db_role, kind, department FROM juki.whoami();
-- a permit for a purpose outside the contract is refused
SELECT juki_test.tryk($$SELECT juki.request_permit('move_in', 'not in the contract', now() + interval '1 day')$$);
SELECT juki.request_permit('wide_area_copy_issuance', '委託: 入力補助', now() + interval '1 day') AS k_permit \gset
COMMIT;
\c - regress_officer_j2
SELECT juki.approve_permit(:k_permit);
\c - :su

-- the handler's probe: attach the session, look up one resident
CREATE FUNCTION juki_test.probe(token text, r text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM juki.attach(token);
	RETURN juki_test.tryk(format('SELECT (juki.lookup(%L, %L)).resident_code = %L', 'wide_area_copy_issuance', r, r));
END
$$;
\c - regress_k_op1
SELECT juki_test.probe(:'k1_token', :'r1') AS lookup;
BEGIN;
SELECT juki.attach(:'k1_token');
SELECT (juki.lookup('wide_area_copy_issuance', :'r1')).resident_code = :'r1' AS granted;
SELECT juki_test.tryk(format('SELECT juki.lookup(%L, %L)', 'move_in', :'r1'));
SELECT serial ~ '^\d{4}-\d{6}$' AS serial_ok, (content).resident_code = :'r1' AS same_resident,
	   (content).individual_number IS NULL AS my_number_hidden
  FROM juki.issue_form('wide_area_copy_issuance', :'r1', 'juminhyo_copy');
COMMIT;
\c - :su

-- the pledge is withdrawn: access ends at once (pledge_missing); recorded again: back
\c - regress_officer_j
SELECT juki_test.tryk(format('SELECT juki.withdraw_pledge(%s, NULL)', :c1));
SELECT juki.withdraw_pledge(:c1, 'regress: the pledge was signed by the wrong person');
\c - regress_k_op1
SELECT juki_test.probe(:'k1_token', :'r1') AS lookup;
\c - regress_officer_j
SELECT juki.record_pledge(:c1, current_date);
\c - regress_k_op1
SELECT juki_test.probe(:'k1_token', :'r1') AS lookup;
\c - :su

-- the chief suspends the contract's approval: contract_unapproved; approved again: back
\c - regress_door_chief
SELECT juki_test.tryk(format('SELECT juki.suspend_contract(%s, %L)', :c_b, 'never approved'));
SELECT juki.suspend_contract(:c1, 'regress: audit finding');
\c - regress_k_op1
SELECT juki_test.probe(:'k1_token', :'r1') AS lookup;
\c - regress_door_chief
SELECT juki.approve_contract(:c1);
\c - regress_k_op1
SELECT juki_test.probe(:'k1_token', :'r1') AS lookup;
\c - :su

-- the handler of the future contract: outside its period (contract_expired)
\c - regress_k_opf
\set card CARD-K-F
\i login.psql
BEGIN;
SELECT juki.attach(:'token');
SELECT juki_test.tryk(format('SELECT juki.lookup(%L, %L)', 'wide_area_copy_issuance', :'r1'));
COMMIT;
\c - :su

-- the handler's designation is revoked: not_designated at once
\c - regress_officer_h
SELECT juki_test.tryk(format('SELECT juki.revoke_handler(%s, %L)', :h1, 'x'));
\c - regress_officer_j
SELECT juki_test.tryk(format('SELECT juki.revoke_handler(%s, NULL)', :h1));
SELECT juki_test.tryk('SELECT juki.revoke_handler(-1, ''x'')');
SELECT juki.revoke_handler(:h1, 'regress: work finished');
SELECT juki_test.tryk(format('SELECT juki.revoke_handler(%s, %L)', :h1, 'again'));
\c - regress_k_op1
SELECT juki_test.probe(:'k1_token', :'r1') AS lookup;
\c - :su

-- the log: every step, with the precise reason of each refusal
\c - regress_auditor
SELECT action, outcome, reason, count(*)
  FROM juki.operation_log
 WHERE seq > :seq0 AND action IN ('register_contractor', 'record_committee_review', 'approve_contractor',
		'register_contract', 'approve_contract', 'suspend_contract', 'record_pledge', 'withdraw_pledge',
		'designate_handler', 'revoke_handler', 'register_operator', 'designate', 'request_permit', 'lookup', 'issue_form')
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 NULLS FIRST;
-- the handler's lookups in order: granted, then the reason that ended access each time
SELECT outcome, reason FROM juki.operation_log
 WHERE seq > :seq0 AND action = 'lookup' AND db_role IN ('regress_k_op1', 'regress_k_opf') ORDER BY seq;
\c - :su
