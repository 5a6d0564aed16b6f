/* ------------------------------------------------------ 操作者 (operator) */
-- The operator asks for a permit (許可) under the attached session.

CREATE FUNCTION juki.request_permit(purpose text, reason text, valid_until timestamptz,
									residents text[] DEFAULT NULL, bulk_rows integer DEFAULT NULL,
									off_hours boolean DEFAULT false)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'request_permit';
	v_purpose text := $1;
	v_reason text := $2;
	v_until timestamptz := $3;
	v_res text[] := $4;
	v_bulk integer := $5;
	v_off boolean := $6;
	v_op bigint;
	o record;
	p record;
	bad text;
	v_id bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_operator', 'juki_contractor_operator']);
	v_op := juki._session_operator();
	IF v_op IS NULL THEN
		PERFORM juki._fail(a, 'not_authenticated', '28000', 'no operator session is attached',
			'Log in with juki.card_login() and juki.attach() the token in this transaction.');
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND OR o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000', 'the operator of this session has retired', NULL, v_op);
	END IF;
	IF v_purpose IS NULL OR v_reason IS NULL OR v_until IS NULL OR v_off IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			'purpose, reason, valid_until and off_hours must not be NULL', NULL, v_op);
	END IF;
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters', NULL, v_op, v_purpose);
	END IF;
	SELECT * INTO p FROM juki.purpose x WHERE x.code = v_purpose ORDER BY x.version DESC LIMIT 1;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'purpose_unknown', '22023',
			pg_catalog.format('purpose %s does not exist', v_purpose), 'juki.purposes() lists them.', v_op);
	END IF;
	IF NOT p.active THEN
		PERFORM juki._fail(a, 'purpose_inactive', '55000',
			pg_catalog.format('purpose %s is not active', v_purpose), NULL, v_op, v_purpose);
	END IF;
	IF NOT coalesce(juki._designated(v_op, v_purpose), false) THEN
		PERFORM juki._fail(a, 'not_designated', '42501',
			pg_catalog.format('you are not designated for %s', v_purpose),
			CASE o.kind WHEN 'contractor'
				THEN 'A security officer designates handlers per contract: juki.designate_handler().'
				ELSE 'A security officer of your department designates operators: juki.designate().' END,
			v_op, v_purpose);
	END IF;
	IF v_until <= pg_catalog.now() OR v_until > pg_catalog.now() + interval '31 days' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'valid_until must be in the future and at most 31 days ahead', NULL, v_op, v_purpose);
	END IF;
	IF v_res IS NOT NULL THEN
		IF pg_catalog.cardinality(v_res) = 0 OR pg_catalog.cardinality(v_res) > 1000 THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023',
				'residents must list 1 to 1000 resident codes (or be NULL)', NULL, v_op, v_purpose);
		END IF;
		IF pg_catalog.array_position(v_res, NULL) IS NOT NULL THEN
			PERFORM juki._fail(a, 'null_argument', '22004', 'residents must not contain NULL', NULL, v_op, v_purpose);
		END IF;
		SELECT x INTO bad FROM pg_catalog.unnest(v_res) x WHERE NOT juki.is_valid_resident_code(x) LIMIT 1;
		IF FOUND THEN
			PERFORM juki._fail(a, 'invalid_resident_code', '22023',
				pg_catalog.format('element %s of residents is not a valid 住民票コード',
								  pg_catalog.array_position(v_res, bad)),
				'A 住民票コード has 11 ASCII digits.', v_op, v_purpose);
		END IF;
		IF (SELECT count(DISTINCT x) FROM pg_catalog.unnest(v_res) x) <> pg_catalog.cardinality(v_res) THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023', 'residents lists a resident twice', NULL, v_op, v_purpose);
		END IF;
	END IF;
	IF p.requires_named_permit AND v_res IS NULL THEN
		PERFORM juki._fail(a, 'residents_required', '22023',
			pg_catalog.format('purpose %s needs a permit naming the residents', v_purpose), NULL, v_op, v_purpose);
	END IF;
	IF p.allows_bulk THEN
		IF v_bulk IS NULL THEN
			PERFORM juki._fail(a, 'bulk_rows_required', '22023',
				pg_catalog.format('purpose %s is a batch purpose: give bulk_rows, the rows the permit allows', v_purpose),
				NULL, v_op, v_purpose);
		END IF;
		IF v_bulk NOT BETWEEN 1 AND 10000000 THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023', 'bulk_rows must be between 1 and 10000000',
				NULL, v_op, v_purpose);
		END IF;
	ELSIF v_bulk NOT BETWEEN 1 AND 10000000 THEN
		-- any other purpose: rows beyond its volume ceilings, in one statement
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'bulk_rows must be between 1 and 10000000',
			NULL, v_op, v_purpose);
	END IF;

	INSERT INTO juki.access_permit (operator_id, purpose, reason, valid_until, residents, bulk_rows,
									off_hours, requested_by)
	VALUES (v_op, v_purpose, v_reason, v_until, v_res, v_bulk, v_off, juki._caller())
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, purpose => v_purpose, operator_id => v_op, permit_id => v_id,
		subjects => v_res,
		detail => pg_catalog.jsonb_build_object('bulk_rows', v_bulk, 'off_hours', v_off));
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION juki.request_permit(text, text, timestamptz, text[], integer, boolean) IS
	'許可の申請 (操作者): purpose, reason and window (≤ 31 days), optionally naming residents or a row allowance';
