/* ----------------------------------------------------------- disclosure */

-- Every resident field; those the purpose does not disclose are NULL and
-- disclosed_fields names the real ones.  status is always given: a record
-- of a removed resident (消除) is only returned to purposes that allow it.
CREATE TYPE juki.disclosure AS (
	resident_code      text,
	individual_number  text,
	full_name          text,
	full_name_kana     text,
	former_surname     text,
	alias_name         text,
	birth_date         date,
	sex                text,
	address            text,
	municipality_code  text,
	change_reason      text,
	change_date        date,
	status             text,
	disclosed_fields   text[]
);
COMMENT ON TYPE juki.disclosure IS '本人確認情報 as disclosed for one purpose: undisclosed fields are NULL';

CREATE TYPE juki.form AS (
	serial      text,
	form_type   text,
	purpose     text,
	printed_at  timestamptz,
	content     juki.disclosure
);
COMMENT ON TYPE juki.form IS '帳票: a printed form and the ledger serial it was issued under';

-- Search comparison: Unicode NFKC (full-width → half-width, compatibility
-- kanji) and no white space at all, so '山田　太郎' matches '山田太郎'.
CREATE FUNCTION juki.fold(text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN pg_catalog.regexp_replace(NORMALIZE($1, NFKC), '[[:space:]]+', '', 'g');
COMMENT ON FUNCTION juki.fold(text) IS 'NFKC normalisation and white-space folding used by juki.search';

CREATE INDEX resident_name_idx ON juki.resident (juki.fold(full_name), birth_date);
CREATE INDEX resident_address_idx ON juki.resident (juki.fold(address) text_pattern_ops);
CREATE INDEX resident_birth_idx ON juki.resident (birth_date);
-- expression indexes keep statistics of their own: none of folded names
ALTER INDEX juki.resident_name_idx ALTER COLUMN 1 SET STATISTICS 0;
ALTER INDEX juki.resident_address_idx ALTER COLUMN 1 SET STATISTICS 0;
CREATE INDEX support_measure_active_idx ON juki.support_measure (resident_code, starts_on, ends_on);

CREATE FUNCTION juki.lookup(purpose text, resident_code text) RETURNS juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_lookup' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.lookup(text, text) IS
	'One resident by 住民票コード, for a registered purpose, by a logged-in designated operator with a permit';
CREATE FUNCTION juki.search(purpose text, criteria jsonb) RETURNS SETOF juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_search' LANGUAGE C VOLATILE ROWS 5;
COMMENT ON FUNCTION juki.search(text, jsonb) IS
	'Residents matching criteria allowed by the purpose; more rows than allowed refuses the whole request';
CREATE FUNCTION juki.issue_form(purpose text, resident_code text, form_type text) RETURNS juki.form
	AS 'MODULE_PATHNAME', 'juki_issue_form' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.issue_form(text, text, text) IS
	'帳票: print a form for one resident (purposes that allow forms); recorded in the form ledger';

/*
 * 帳票の廃棄: a security officer of the department that issued the form
 * records its destruction (shredding, dissolving, ...).  Issue 5 adds the
 * approval by a second officer.
 */
CREATE FUNCTION juki.destroy_form(serial text, method text) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	f juki.printed_form;
	dept text;
BEGIN
	PERFORM juki._require_role('destroy_form', ARRAY['juki_security_officer']);
	IF serial IS NULL OR method IS NULL OR btrim(method) = '' THEN
		PERFORM juki._fail('destroy_form', 'invalid_argument', '22004',
						   'a form serial and a destruction method are required',
						   'e.g. juki.destroy_form(''2026-000001'', ''shredded'')');
	END IF;
	IF length(method) > 200 THEN
		PERFORM juki._fail('destroy_form', 'invalid_argument', '22023',
						   'the destruction method is longer than 200 characters');
	END IF;
	SELECT * INTO f FROM juki.printed_form p WHERE p.serial = destroy_form.serial FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail('destroy_form', 'form_unknown', '22023',
						   format('no form has serial %s', serial));
	END IF;
	SELECT o.department INTO dept FROM juki.operator o WHERE o.id = f.operator_id;
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer d
				    WHERE d.role_name = juki._caller() AND d.department = dept AND d.retired_at IS NULL) THEN
		PERFORM juki._fail('destroy_form', 'wrong_department', '42501',
						   format('form %s was issued in %s, not your department', serial, dept));
	END IF;
	IF f.status = 'destroyed' THEN
		PERFORM juki._fail('destroy_form', 'form_destroyed', '55000',
						   format('form %s was already destroyed', serial));
	END IF;
	UPDATE juki.printed_form p
	   SET status = 'destroyed', destroyed_by = juki._caller(), destroyed_at = now(),
	       destroy_method = method, destroy_approved_by = juki._caller()
	 WHERE p.serial = f.serial;
	PERFORM juki._log('destroy_form', 'granted', NULL, f.purpose, f.operator_id, NULL,
					  f.residents, jsonb_build_object('serial', f.serial, 'method', method));
END
$$;
COMMENT ON FUNCTION juki.destroy_form(text, text) IS '帳票の廃棄: record that a printed form was destroyed';

GRANT USAGE ON TYPE juki.disclosure, juki.form TO juki_operator, juki_contractor_operator, juki_terminal;
GRANT EXECUTE ON FUNCTION juki.lookup(text, text), juki.search(text, jsonb),
	juki.issue_form(text, text, text) TO juki_operator, juki_contractor_operator, juki_terminal;
GRANT EXECUTE ON FUNCTION juki.destroy_form(text, text) TO juki_security_officer;
