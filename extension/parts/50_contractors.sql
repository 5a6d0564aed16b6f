/* ------------------------------------------------- 外部委託 (outsourcing) */
/*
 * 要領 第4 and 第3 2(1)③: contractors, their vetting (事前調査, 業務完遂能力,
 * 損害賠償能力・不祥事), the セキュリティ会議 review and the chief's approval;
 * contracts (scope, purposes, period, max_handlers, 誓約書, approval); the
 * per-contract designation of handlers (委託の都度の指定).  Conventions as in
 * 30_admin_helpers.sql.
 *
 * Who does what:
 *   security officer  register_contractor (the caller is the checker of
 *                     every vetting item), register_contract (for purposes
 *                     of their departments), record_pledge / withdraw_pledge,
 *                     designate_handler / revoke_handler (operators of their
 *                     department);
 *   chief             record_committee_review (the chief convenes and chairs
 *                     the セキュリティ会議), approve_contractor,
 *                     approve_contract, suspend_contract.
 * Nobody approves what they registered themselves.
 *
 * 再委託 (subcontracting) is prohibited (第4 (1) 再委託に関する考え方).  It is not a
 * column anywhere: every way of declaring it is refused with reason
 * subcontracting_prohibited (42501):
 *   - a contractor registered for another contractor: the explicit
 *     parameter parent_contractor; a vetting key (at any depth) such as
 *     parent, parent_contractor, prime_contractor, principal, on_behalf_of,
 *     works_for, subcontractor, 元請, 再委託先; a name or address declaring
 *     it (再委託先, 再委託元, 下請, 孫請, 元請, subcontractor, subcontracted,
 *     sub-contractor, prime contractor);
 *   - a contract naming a subcontractor: the explicit parameter
 *     subcontractor; a scope with the words above or with the name of
 *     another registered contractor; a purposes element mentioning
 *     subcontracting (subcontract, 再委託, 下請);
 *   - a handler employed by another contractor: designate_handler for an
 *     operator registered under a contract of a different contractor.
 * Words that deny subcontracting ("再委託禁止", "no subcontracting") are not
 * declarations and pass; the vetting findings and evidence are free text
 * that legitimately say "再委託なし" and are not scanned.
 *
 * The access decision itself (policy.c) re-checks every request: contract
 * covers the purpose, contractor and contract approved, pledge on record,
 * today inside the contract period and inside an unrevoked handler
 * designation.  So withdrawing the pledge, suspending the contract, the end
 * of the contract period or revoking the handler ends access at once, with
 * that reason.
 */

-- The words that declare subcontracting in a name, address or scope;
-- NULL if none, else the word found.
CREATE FUNCTION juki._subcontracting_word(t text) RETURNS text
	LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT pg_catalog.substring(pg_catalog.lower(NORMALIZE(coalesce($1, ''), NFKC)),
		'(再委託先|再委託元|再々委託|下請|孫請|元請|sub-?contractors?|subcontracted|prime contractor)')
$$;

-- A jsonb key (at any depth) that declares a parent contractor or a
-- subcontractor; NULL if none.
CREATE FUNCTION juki._subcontracting_key(j jsonb) RETURNS text
	LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
	WITH RECURSIVE t(v) AS (
		SELECT $1
		UNION ALL
		SELECT e.value FROM t, LATERAL (
			SELECT x.value FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(t.v) = 'object' THEN t.v END) x
			UNION ALL
			SELECT y.value FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(t.v) = 'array' THEN t.v END) y
		) e
	)
	SELECT k FROM t, LATERAL pg_catalog.jsonb_object_keys(CASE WHEN pg_catalog.jsonb_typeof(t.v) = 'object' THEN t.v END) k
	 WHERE pg_catalog.lower(NORMALIZE(k, NFKC)) ~ '^(parent|parent_contractor|prime_contractor|principal|principal_contractor|on_behalf_of|works_for|employer|contracted_by|subcontract|subcontractor|subcontractors|subcontracting|subcontracted_from|subcontracted_to|再委託|再委託先|再委託元|元請|下請|孫請)$'
	 LIMIT 1
$$;

-- Is the caller a security officer (not retired) of this department?
CREATE FUNCTION juki._officer_of(dept text) RETURNS boolean
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT EXISTS (SELECT 1 FROM juki.department_officer d
					WHERE d.role_name = juki._caller() AND d.department = $1 AND d.retired_at IS NULL)
$$;

-- The departments of a contract's purposes (newest version of each).
CREATE FUNCTION juki._purpose_departments(purposes text[]) RETURNS text[]
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(pg_catalog.array_agg(DISTINCT p.department ORDER BY p.department), '{}')
	  FROM (SELECT DISTINCT ON (x.code) x.code, x.department FROM juki.purpose x
			 WHERE x.code = ANY ($1) ORDER BY x.code, x.version DESC) p
$$;

/* ================================================================ contractors */

CREATE FUNCTION juki.register_contractor(name text, address text, vetting jsonb,
										 parent_contractor text DEFAULT NULL)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'register_contractor';
	items constant text[] := ARRAY['financial_soundness', 'stability', 'business_scale', 'business_area',
								   'technical_skill', 'training_system', 'privacy_measures',
								   'security_measures', 'liability_capacity', 'scandals'];
	v_name text := $1;
	v_addr text := $2;
	v_vet jsonb := $3;
	v_parent text := $4;
	w text;
	k text;
	it jsonb;
	missing text[];
	v_on date;
	v_id bigint;
	n_ok integer := 0;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer d WHERE d.role_name = juki._caller()
					AND d.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'not_appointed', '42501', 'you are not appointed security officer of any department',
			'The chief security officer appoints security officers: juki.appoint_security_officer().');
	END IF;
	-- 再委託 first: whatever else is wrong, a declared parent is refused as such
	IF v_parent IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('a contractor registered for another contractor (%s) is a subcontractor (再委託)', v_parent),
			'再委託 is prohibited (要領 第4): the town contracts with the company that does the work.');
	END IF;
	w := coalesce(juki._subcontracting_word(v_name), juki._subcontracting_word(v_addr));
	IF w IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('the name or address declares subcontracting (%s)', w),
			'再委託 is prohibited (要領 第4): the town contracts with the company that does the work.');
	END IF;
	IF v_vet IS NOT NULL THEN
		k := juki._subcontracting_key(v_vet);
		IF k IS NOT NULL THEN
			PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
				pg_catalog.format('the vetting record declares a parent contractor or subcontractor (key %s)', k),
				'再委託 is prohibited (要領 第4): the town contracts with the company that does the work.');
		END IF;
	END IF;
	IF v_name IS NULL OR v_vet IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'name and vetting must not be NULL');
	END IF;
	IF pg_catalog.btrim(v_name) = '' OR pg_catalog.length(v_name) > 200
	   OR (v_addr IS NOT NULL AND pg_catalog.length(v_addr) > 300) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a name has 1 to 200 characters, an address at most 300');
	END IF;
	IF pg_catalog.jsonb_typeof(v_vet) <> 'object' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'vetting is a JSON object with one entry per vetting item',
			'e.g. {"financial_soundness": {"satisfactory": true, "finding": "...", "evidence": "..."}, ...}');
	END IF;
	SELECT pg_catalog.array_agg(x ORDER BY x) INTO k FROM pg_catalog.jsonb_object_keys(v_vet) x
	 WHERE NOT x = ANY (items);
	IF k IS NOT NULL THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			pg_catalog.format('unknown vetting items: %s', pg_catalog.array_to_string(k::text[], ', ')),
			'Items: ' || pg_catalog.array_to_string(items, ', '));
	END IF;
	SELECT pg_catalog.array_agg(i ORDER BY o) INTO missing FROM pg_catalog.unnest(items) WITH ORDINALITY u(i, o)
	 WHERE NOT v_vet ? i;
	IF missing IS NOT NULL THEN
		PERFORM juki._fail(a, 'vetting_incomplete', '22023',
			pg_catalog.format('vetting items missing: %s', pg_catalog.array_to_string(missing, ', ')),
			'要領 第4 1: every item is investigated before selection (事前調査, 業務完遂能力, 損害賠償能力, 不祥事).');
	END IF;
	FOREACH k IN ARRAY items
	LOOP
		it := v_vet -> k;
		IF pg_catalog.jsonb_typeof(it) <> 'object'
		   OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(it) x
					   WHERE x NOT IN ('satisfactory', 'finding', 'evidence', 'checked_on'))
		   OR pg_catalog.jsonb_typeof(it -> 'satisfactory') IS DISTINCT FROM 'boolean'
		   OR pg_catalog.jsonb_typeof(it -> 'finding') IS DISTINCT FROM 'string'
		   OR pg_catalog.jsonb_typeof(it -> 'evidence') IS DISTINCT FROM 'string'
		   OR pg_catalog.btrim(it ->> 'finding') = '' OR pg_catalog.btrim(it ->> 'evidence') = ''
		   OR pg_catalog.length(it ->> 'finding') > 2000 OR pg_catalog.length(it ->> 'evidence') > 2000 THEN
			PERFORM juki._fail(a, 'vetting_incomplete', '22023',
				pg_catalog.format('vetting item %s needs satisfactory (true/false), a finding and the evidence (1 to 2000 characters each)', k),
				'Optional: checked_on (YYYY-MM-DD, not in the future); the checker is you.');
		END IF;
		IF it ? 'checked_on' THEN
			v_on := juki._iso_date(it ->> 'checked_on');
			IF v_on IS NULL OR v_on > CURRENT_DATE OR v_on < CURRENT_DATE - interval '2 years' THEN
				PERFORM juki._fail(a, 'invalid_argument', '22023',
					pg_catalog.format('vetting item %s: checked_on must be a date within the last two years', k));
			END IF;
		END IF;
	END LOOP;
	IF EXISTS (SELECT 1 FROM juki.contractor c WHERE juki.fold(c.name) = juki.fold(v_name)) THEN
		PERFORM juki._fail(a, 'already_registered', '22023',
			pg_catalog.format('a contractor named %s is already registered', v_name));
	END IF;

	INSERT INTO juki.contractor (name, address, registered_by)
	VALUES (v_name, v_addr, juki._caller()) RETURNING id INTO v_id;
	INSERT INTO juki.contractor_vetting (contractor_id, item, satisfactory, finding, evidence, checked_by, checked_on)
	SELECT v_id, i, (v_vet -> i ->> 'satisfactory')::boolean, v_vet -> i ->> 'finding', v_vet -> i ->> 'evidence',
		   juki._caller(), coalesce(juki._iso_date(v_vet -> i ->> 'checked_on'), CURRENT_DATE)
	  FROM pg_catalog.unnest(items) i;
	SELECT count(*) INTO n_ok FROM juki.contractor_vetting x WHERE x.contractor_id = v_id AND x.satisfactory;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contractor_id', v_id, 'name', v_name,
			'items', pg_catalog.cardinality(items), 'satisfactory', n_ok));
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION juki.register_contractor(text, text, jsonb, text) IS
	'委託事業者の登録 (セキュリティ責任者): every vetting item of 要領 第4 with finding and evidence, checked by the caller; 再委託 refused';

CREATE FUNCTION juki.record_committee_review(contractor bigint, reviewed_on date, note text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_committee_review';
	v_id bigint := $1;
	v_on date := $2;
	v_note text := $3;
	c record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contractor, reviewed_on and note must not be NULL',
		ARRAY[v_id IS NULL, v_on IS NULL, v_note IS NULL]);
	IF pg_catalog.btrim(v_note) = '' OR pg_catalog.length(v_note) > 2000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a note (the committee''s conclusion) has 1 to 2000 characters');
	END IF;
	SELECT * INTO c FROM juki.contractor x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_id));
	END IF;
	IF v_on > CURRENT_DATE OR v_on < (c.registered_at AT TIME ZONE 'UTC')::date - 1 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'reviewed_on must be between the registration of the contractor and today');
	END IF;

	UPDATE juki.contractor x SET committee_reviewed_on = v_on WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contractor_id', v_id, 'reviewed_on', v_on, 'note', v_note));
END
$$;
COMMENT ON FUNCTION juki.record_committee_review(bigint, date, text) IS
	'セキュリティ会議の審議 (セキュリティ統括責任者, who chairs it): the committee reviewed a contractor''s vetting';

CREATE FUNCTION juki.approve_contractor(contractor bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'approve_contractor';
	v_id bigint := $1;
	c record;
	bad text[];
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contractor must not be NULL',
		ARRAY[v_id IS NULL]);
	SELECT * INTO c FROM juki.contractor x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_id));
	END IF;
	IF c.registered_by = juki._caller()
	   OR EXISTS (SELECT 1 FROM juki.contractor_vetting v WHERE v.contractor_id = v_id AND v.checked_by = juki._caller()) THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves a contractor they vetted themselves',
			'Another person holding juki_chief_security_officer approves.');
	END IF;
	IF c.approved_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'already_approved', '55000', pg_catalog.format('%s (contractor %s) is already approved', c.name, v_id));
	END IF;
	IF c.committee_reviewed_on IS NULL THEN
		PERFORM juki._fail(a, 'committee_review_missing', '55000',
			pg_catalog.format('the セキュリティ会議 has not reviewed %s (contractor %s)', c.name, v_id),
			'Record the review first: juki.record_committee_review().');
	END IF;
	SELECT pg_catalog.array_agg(v.item ORDER BY v.item) INTO bad FROM juki.contractor_vetting v
	 WHERE v.contractor_id = v_id AND NOT v.satisfactory;
	IF bad IS NOT NULL THEN
		PERFORM juki._fail(a, 'vetting_unsatisfactory', '55000',
			pg_catalog.format('%s (contractor %s) is not satisfactory in: %s', c.name, v_id, pg_catalog.array_to_string(bad, ', ')),
			'要領 第4 1: select contractors whose safety and reliability are confirmed.');
	END IF;

	UPDATE juki.contractor x SET approved_by = juki._caller(), approved_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, detail => pg_catalog.jsonb_build_object('contractor_id', v_id));
END
$$;
COMMENT ON FUNCTION juki.approve_contractor(bigint) IS
	'委託事業者の承認 (セキュリティ統括責任者): after the セキュリティ会議 review, every vetting item satisfactory';

/* ================================================================== contracts */

CREATE FUNCTION juki.register_contract(contractor bigint, scope text, purposes text[], starts_on date,
									   ends_on date, max_handlers integer, subcontractor text DEFAULT NULL)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'register_contract';
	v_k bigint := $1;
	v_scope text := $2;
	v_purposes text[] := $3;
	v_start date := $4;
	v_end date := $5;
	v_max integer := $6;
	v_sub text := $7;
	w text;
	pc text;
	p record;
	other text;
	v_id bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	IF v_sub IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('a contract naming a subcontractor (%s) is 再委託', v_sub),
			'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
	END IF;
	w := juki._subcontracting_word(v_scope);
	IF w IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('the scope declares subcontracting (%s)', w),
			'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
	END IF;
	SELECT x INTO w FROM pg_catalog.unnest(v_purposes) x
	 WHERE pg_catalog.lower(NORMALIZE(x, NFKC)) ~ '(sub-?contract|再委託|下請|孫請)' LIMIT 1;
	IF w IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('purposes declare subcontracting (%s)', w),
			'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
	END IF;
	IF v_scope IS NOT NULL THEN
		SELECT c.name INTO other FROM juki.contractor c
		 WHERE c.id IS DISTINCT FROM v_k AND pg_catalog.length(juki.fold(c.name)) >= 2
		   AND pg_catalog.strpos(juki.fold(v_scope), juki.fold(c.name)) > 0
		 ORDER BY c.id LIMIT 1;
		IF FOUND THEN
			PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
				pg_catalog.format('the scope names another contractor (%s)', other),
				'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
		END IF;
	END IF;
	IF v_k IS NULL OR v_scope IS NULL OR v_purposes IS NULL OR v_start IS NULL OR v_end IS NULL OR v_max IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			'contractor, scope, purposes, starts_on, ends_on and max_handlers must not be NULL');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.contractor c WHERE c.id = v_k) THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_k));
	END IF;
	IF pg_catalog.btrim(v_scope) = '' OR pg_catalog.length(v_scope) > 2000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a scope has 1 to 2000 characters');
	END IF;
	IF v_end < v_start THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'ends_on is before starts_on');
	END IF;
	IF v_end < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'the contract has already ended (ends_on is in the past)');
	END IF;
	IF v_end > v_start + interval '5 years' OR v_start > CURRENT_DATE + interval '1 year' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a contract lasts at most 5 years and starts within a year');
	END IF;
	IF v_max NOT BETWEEN 1 AND 100 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'max_handlers must be between 1 and 100',
			'要領 第3 2(1)③: the designation of handlers is kept to the necessary minimum.');
	END IF;
	IF pg_catalog.cardinality(v_purposes) = 0 OR pg_catalog.array_position(v_purposes, NULL) IS NOT NULL
	   OR (SELECT count(DISTINCT x) FROM pg_catalog.unnest(v_purposes) x) <> pg_catalog.cardinality(v_purposes) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'purposes must list at least one purpose, without NULLs or duplicates');
	END IF;
	FOREACH pc IN ARRAY v_purposes
	LOOP
		SELECT * INTO p FROM juki.purpose x WHERE x.code = pc ORDER BY x.version DESC LIMIT 1;
		IF NOT FOUND THEN
			PERFORM juki._fail(a, 'purpose_unknown', '22023',
				pg_catalog.format('purpose %s does not exist', pc), 'juki.purposes() lists them.');
		END IF;
		IF NOT p.active THEN
			PERFORM juki._fail(a, 'purpose_inactive', '55000',
				pg_catalog.format('purpose %s is not active', pc), NULL, NULL, pc);
		END IF;
		IF p.aggregates_only THEN
			PERFORM juki._fail(a, 'aggregates_only', '22023',
				pg_catalog.format('purpose %s discloses no individual records', pc), NULL, NULL, pc);
		END IF;
		IF NOT juki._officer_of(p.department) THEN
			PERFORM juki._fail(a, 'wrong_department', '42501',
				pg_catalog.format('purpose %s belongs to %s, and you are not its security officer', pc, p.department),
				'The security officer of the outsourcing department registers the contract.', NULL, pc);
		END IF;
	END LOOP;

	INSERT INTO juki.contract (contractor_id, scope, purposes, starts_on, ends_on, max_handlers, registered_by)
	VALUES (v_k, v_scope, v_purposes, v_start, v_end, v_max, juki._caller())
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'contractor_id', v_k, 'purposes', v_purposes,
			'starts_on', v_start, 'ends_on', v_end, 'max_handlers', v_max));
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION juki.register_contract(bigint, text, text[], date, date, integer, text) IS
	'委託契約の登録 (セキュリティ責任者): scope, purposes of one''s departments, period, max_handlers; naming a subcontractor is refused';

-- A contract and whether the caller answers for one of its departments.
CREATE FUNCTION juki._contract_for_officer(a text, v_id bigint) RETURNS juki.contract
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c juki.contract;
	d text;
BEGIN
	IF a IS NULL OR a NOT IN ('record_pledge', 'withdraw_pledge') THEN
		PERFORM juki._fail('direct_access', 'direct_access', '42501',
			pg_catalog.format('%s is internal to juki', 'juki._contract_for_officer'),
			'Call juki''s documented functions instead.');
	END IF;
	IF v_id IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'contract must not be NULL');
	END IF;
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	FOREACH d IN ARRAY juki._purpose_departments(c.purposes)
	LOOP
		IF juki._officer_of(d) THEN
			RETURN c;
		END IF;
	END LOOP;
	PERFORM juki._fail(a, 'wrong_department', '42501',
		pg_catalog.format('contract %s is not for a department you answer for', v_id));
	RETURN NULL;
END
$$;

CREATE FUNCTION juki.record_pledge(contract bigint, received_on date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_pledge';
	v_on date := $2;
	c juki.contract;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	c := juki._contract_for_officer(a, $1);
	IF v_on IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'received_on must not be NULL');
	END IF;
	IF v_on > CURRENT_DATE OR v_on > c.ends_on OR v_on < (c.registered_at AT TIME ZONE 'UTC')::date - 365 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'received_on must not be in the future nor after the contract ends');
	END IF;
	IF c.pledge_received_on IS NOT NULL THEN
		PERFORM juki._fail(a, 'pledge_recorded', '55000',
			pg_catalog.format('a pledge is already on record for contract %s', c.id));
	END IF;

	UPDATE juki.contract x SET pledge_received_on = v_on WHERE x.id = c.id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', c.id, 'received_on', v_on));
END
$$;
COMMENT ON FUNCTION juki.record_pledge(bigint, date) IS
	'誓約書の受領 (セキュリティ責任者): the contractor''s signed confidentiality pledge; handlers work only while it is on record';

CREATE FUNCTION juki.withdraw_pledge(contract bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'withdraw_pledge';
	v_reason text := $2;
	c juki.contract;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	c := juki._contract_for_officer(a, $1);
	IF v_reason IS NULL OR pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	IF c.pledge_received_on IS NULL THEN
		PERFORM juki._fail(a, 'pledge_missing', '55000', pg_catalog.format('no pledge is on record for contract %s', c.id));
	END IF;

	UPDATE juki.contract x SET pledge_received_on = NULL WHERE x.id = c.id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', c.id, 'was_received_on', c.pledge_received_on,
												'reason', v_reason));
END
$$;
COMMENT ON FUNCTION juki.withdraw_pledge(bigint, text) IS
	'誓約書の無効 (セキュリティ責任者): the pledge is void (unsigned, wrong signatory, revoked); the handlers'' access ends at once';

CREATE FUNCTION juki.approve_contract(contract bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'approve_contract';
	v_id bigint := $1;
	c record;
	k record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contract must not be NULL',
		ARRAY[v_id IS NULL]);
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	IF c.registered_by = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves a contract they registered themselves',
			'Another person holding juki_chief_security_officer approves.');
	END IF;
	IF c.approved_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'already_approved', '55000', pg_catalog.format('contract %s is already approved', v_id));
	END IF;
	SELECT * INTO k FROM juki.contractor x WHERE x.id = c.contractor_id;
	IF k.approved_at IS NULL THEN
		PERFORM juki._fail(a, 'contractor_unapproved', '55000',
			pg_catalog.format('%s (contractor %s) is not approved', k.name, k.id),
			'The contractor is approved first: juki.approve_contractor().');
	END IF;
	IF c.ends_on < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'contract_expired', '55000', pg_catalog.format('contract %s has ended', v_id));
	END IF;

	UPDATE juki.contract x SET approved_by = juki._caller(), approved_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'contractor_id', k.id,
												'pledge', c.pledge_received_on IS NOT NULL));
END
$$;
COMMENT ON FUNCTION juki.approve_contract(bigint) IS
	'委託契約の承認 (セキュリティ統括責任者): an approved contractor''s contract, not one''s own';

CREATE FUNCTION juki.suspend_contract(contract bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'suspend_contract';
	v_id bigint := $1;
	v_reason text := $2;
	c record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contract and reason must not be NULL',
		ARRAY[v_id IS NULL, v_reason IS NULL]);
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	IF c.approved_at IS NULL THEN
		PERFORM juki._fail(a, 'contract_unapproved', '55000', pg_catalog.format('contract %s is not approved', v_id));
	END IF;

	UPDATE juki.contract x SET approved_by = NULL, approved_at = NULL WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'reason', v_reason));
END
$$;
COMMENT ON FUNCTION juki.suspend_contract(bigint, text) IS
	'委託契約の承認取消し (セキュリティ統括責任者): the handlers'' access ends at once; juki.approve_contract() resumes it';

/* ============================================= 委託の都度の指定 (contract handlers) */

CREATE FUNCTION juki.designate_handler(contract bigint, operator bigint, valid_from date, valid_until date)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'designate_handler';
	v_c bigint := $1;
	v_op bigint := $2;
	v_from date := $3;
	v_until date := $4;
	c record;
	o record;
	oc record;
	n integer;
	v_id bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		'contract, operator, valid_from and valid_until must not be NULL',
		ARRAY[v_c IS NULL, v_op IS NULL, v_from IS NULL, v_until IS NULL]);
	-- one designation at a time per contract: the handler count is exact
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_c FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_c));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.kind <> 'contractor' THEN
		PERFORM juki._fail(a, 'not_a_contractor', '42501',
			pg_catalog.format('%s (operator %s) is staff, not a contractor''s handler', o.display_name, v_op),
			'Staff are designated with juki.designate().', v_op);
	END IF;
	-- 再委託: a handler employed by another contractor than the contract's
	SELECT * INTO oc FROM juki.contract x WHERE x.id = o.contract_id;
	IF oc.contractor_id <> c.contractor_id THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('%s (operator %s) works for contractor %s, not for contractor %s of contract %s',
							  o.display_name, v_op, oc.contractor_id, c.contractor_id, v_c),
			'再委託 is prohibited (要領 第4): only the contractor''s own staff handle the data.', v_op);
	END IF;
	IF o.contract_id <> v_c THEN
		PERFORM juki._fail(a, 'wrong_contract', '42501',
			pg_catalog.format('%s (operator %s) is registered under contract %s, not contract %s', o.display_name, v_op, o.contract_id, v_c),
			'The access manager registers a handler under the contract they work on.', v_op);
	END IF;
	IF NOT juki._officer_of(o.department) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s, the department of %s (operator %s)', o.department, o.display_name, v_op),
			NULL, v_op);
	END IF;
	IF NOT o.department = ANY (juki._purpose_departments(c.purposes)) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('contract %s has no purpose of %s, the department of %s (operator %s)', v_c, o.department, o.display_name, v_op),
			NULL, v_op);
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000', pg_catalog.format('%s (operator %s) has retired', o.display_name, v_op), NULL, v_op);
	END IF;
	IF c.approved_at IS NULL OR NOT EXISTS (SELECT 1 FROM juki.contractor k WHERE k.id = c.contractor_id
											 AND k.approved_at IS NOT NULL) THEN
		PERFORM juki._fail(a, 'contract_unapproved', '55000',
			pg_catalog.format('contract %s (or its contractor) is not approved', v_c), NULL, v_op);
	END IF;
	IF c.pledge_received_on IS NULL THEN
		PERFORM juki._fail(a, 'pledge_missing', '55000',
			pg_catalog.format('no pledge (誓約書) is on record for contract %s', v_c),
			'Record it first: juki.record_pledge().', v_op);
	END IF;
	IF v_until < v_from THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'valid_until is before valid_from', NULL, v_op);
	END IF;
	IF v_from < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a designation starts today or later', NULL, v_op);
	END IF;
	IF v_from < c.starts_on OR v_until > c.ends_on THEN
		PERFORM juki._fail(a, 'outside_contract_period', '22023',
			pg_catalog.format('the designation must lie inside the contract period %s to %s',
							  pg_catalog.to_char(c.starts_on, 'YYYY-MM-DD'), pg_catalog.to_char(c.ends_on, 'YYYY-MM-DD')),
			NULL, v_op);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.training t WHERE t.operator_id = v_op AND t.course = 'operator'
					AND t.completed_on >= CURRENT_DATE - interval '12 months') THEN
		PERFORM juki._fail(a, 'training_missing', '42501',
			pg_catalog.format('%s (operator %s) has not completed the operator training within the last 12 months', o.display_name, v_op),
			'The access manager records training: juki.record_training().', v_op);
	END IF;
	IF EXISTS (SELECT 1 FROM juki.contract_handler h WHERE h.contract_id = v_c AND h.operator_id = v_op
				AND h.revoked_at IS NULL AND h.valid_from <= v_until AND h.valid_until >= v_from) THEN
		PERFORM juki._fail(a, 'already_designated', '22023',
			pg_catalog.format('%s (operator %s) is already designated on contract %s for part of this period', o.display_name, v_op, v_c),
			NULL, v_op);
	END IF;
	-- 必要最小限度: every other unrevoked designation overlapping the period counts
	SELECT count(DISTINCT h.operator_id) INTO n FROM juki.contract_handler h
	 WHERE h.contract_id = v_c AND h.revoked_at IS NULL AND h.valid_from <= v_until AND h.valid_until >= v_from;
	IF n >= c.max_handlers THEN
		PERFORM juki._fail(a, 'too_many_handlers', '54000',
			pg_catalog.format('contract %s allows no more handlers for this period: %s of at most %s are designated', v_c, n, c.max_handlers),
			'要領 第3 2(1)③: revoke a handler first, or amend the contract.', v_op);
	END IF;

	INSERT INTO juki.contract_handler (contract_id, operator_id, designated_by, valid_from, valid_until)
	VALUES (v_c, v_op, juki._caller(), v_from, v_until)
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('handler_id', v_id, 'contract_id', v_c, 'valid_from', v_from,
												'valid_until', v_until, 'handlers', n + 1, 'max_handlers', c.max_handlers));
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION juki.designate_handler(bigint, bigint, date, date) IS
	'委託の都度の指定 (セキュリティ責任者): a handler of the contractor, on one contract, inside its period, within max_handlers';

CREATE FUNCTION juki.revoke_handler(id bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'revoke_handler';
	v_id bigint := $1;
	v_reason text := $2;
	h record;
	o record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		'id and reason must not be NULL',
		ARRAY[v_id IS NULL, v_reason IS NULL]);
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO h FROM juki.contract_handler x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'handler_unknown', '22023', pg_catalog.format('handler designation %s does not exist', v_id));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = h.operator_id;
	IF NOT juki._officer_of(o.department) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s', o.department), NULL, o.id);
	END IF;
	IF h.revoked_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'handler_revoked', '55000',
			pg_catalog.format('handler designation %s is already revoked', v_id), NULL, o.id);
	END IF;

	UPDATE juki.contract_handler x SET revoked_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => o.id,
		detail => pg_catalog.jsonb_build_object('handler_id', v_id, 'contract_id', h.contract_id, 'reason', v_reason));
END
$$;
COMMENT ON FUNCTION juki.revoke_handler(bigint, text) IS '委託の都度の指定の取消し (セキュリティ責任者): access ends at once';

/* ============================================================= read functions */

CREATE FUNCTION juki.contractors()
	RETURNS TABLE (id bigint, name text, address text, vetting jsonb, unsatisfactory text[],
				   committee_reviewed_on date, registered_by text, approved_by text, approved boolean)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'contractors';
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer', 'juki_chief_security_officer', 'juki_auditor']);
	RETURN QUERY
	SELECT k.id, k.name, k.address,
		   (SELECT pg_catalog.jsonb_object_agg(v.item, pg_catalog.jsonb_build_object('satisfactory', v.satisfactory,
					'finding', v.finding, 'evidence', v.evidence, 'checked_by', v.checked_by, 'checked_on', v.checked_on))
			  FROM juki.contractor_vetting v WHERE v.contractor_id = k.id),
		   (SELECT pg_catalog.array_agg(v.item ORDER BY v.item) FROM juki.contractor_vetting v
			 WHERE v.contractor_id = k.id AND NOT v.satisfactory),
		   k.committee_reviewed_on, k.registered_by, k.approved_by, k.approved_at IS NOT NULL
	  FROM juki.contractor k ORDER BY k.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.contractors() IS '委託事業者: vetting, review and approval (security officers, chief, auditors)';

CREATE FUNCTION juki.contracts()
	RETURNS TABLE (id bigint, contractor_id bigint, contractor text, scope text, purposes text[],
				   starts_on date, ends_on date, max_handlers integer, handlers_in_force integer,
				   pledge_received_on date, approved_by text, approved boolean)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'contracts';
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer', 'juki_chief_security_officer', 'juki_auditor',
										'juki_access_manager']);
	RETURN QUERY
	SELECT c.id, c.contractor_id, k.name, c.scope, c.purposes, c.starts_on, c.ends_on, c.max_handlers,
		   (SELECT count(DISTINCT h.operator_id)::integer FROM juki.contract_handler h
			 WHERE h.contract_id = c.id AND h.revoked_at IS NULL AND CURRENT_DATE BETWEEN h.valid_from AND h.valid_until),
		   c.pledge_received_on, c.approved_by, c.approved_at IS NOT NULL
	  FROM juki.contract c JOIN juki.contractor k ON k.id = c.contractor_id ORDER BY c.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.contracts() IS '委託契約: contracts, handlers in force, pledge and approval';

CREATE FUNCTION juki.contract_handlers()
	RETURNS TABLE (id bigint, contract_id bigint, operator_id bigint, role_name name, department text,
				   designated_by text, valid_from date, valid_until date, revoked_at timestamptz)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'contract_handlers';
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer', 'juki_chief_security_officer', 'juki_auditor']);
	RETURN QUERY
	SELECT h.id, h.contract_id, h.operator_id, o.role_name, o.department, h.designated_by, h.valid_from,
		   h.valid_until, h.revoked_at
	  FROM juki.contract_handler h JOIN juki.operator o ON o.id = h.operator_id ORDER BY h.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.contract_handlers() IS '委託の都度の指定: handler designations per contract';

