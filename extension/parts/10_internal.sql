/* ------------------------------------------------------ juki's internals */
-- Helpers for juki's own PL/pgSQL functions.  They refuse to run unless a
-- function of the extension called them (nobody writes arbitrary log
-- entries through them): juki's fmgr hook refuses, and logs, any call of a
-- juki._* function from outside juki.  None is STRICT, so that a call with
-- NULL arguments reaches that check too.

CREATE FUNCTION juki._log(action text, outcome text, reason text, purpose text DEFAULT NULL,
						  operator_id bigint DEFAULT NULL, permit_id bigint DEFAULT NULL,
						  subjects text[] DEFAULT NULL, detail jsonb DEFAULT NULL,
						  row_count bigint DEFAULT NULL)
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_log' LANGUAGE C VOLATILE;
CREATE FUNCTION juki._require_role(action text, roles text[])
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_require_role' LANGUAGE C VOLATILE;
CREATE FUNCTION juki._has_role(role text)
	RETURNS boolean AS 'MODULE_PATHNAME', 'juki_internal_has_role' LANGUAGE C STABLE;
CREATE FUNCTION juki._caller()
	RETURNS text AS 'MODULE_PATHNAME', 'juki_internal_caller' LANGUAGE C STABLE;
CREATE FUNCTION juki._policy_changed()
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_policy_changed' LANGUAGE C VOLATILE;
CREATE FUNCTION juki._card_key_type(pem text)
	RETURNS text AS 'MODULE_PATHNAME', 'juki_internal_card_key_type' LANGUAGE C IMMUTABLE;
CREATE FUNCTION juki._fail(action text, reason text, sqlstate text, message text,
						   hint text DEFAULT NULL, operator_id bigint DEFAULT NULL,
						   purpose text DEFAULT NULL)
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_fail' LANGUAGE C VOLATILE;
-- A refusal its caller has logged already (with the residents concerned):
-- raised in the reader's language with its reason code (issue 19).
CREATE FUNCTION juki._raise(sqlstate text, reason text, message text, hint text DEFAULT NULL)
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_raise' LANGUAGE C VOLATILE;
-- SHA-256 of text values concatenated in aggregate order, as hex, streamed
-- (a string_agg of millions of rows passes PostgreSQL's 1 GB value limit).
CREATE FUNCTION juki._sha256_step(internal, text)
	RETURNS internal AS 'MODULE_PATHNAME', 'juki_sha256_step' LANGUAGE C IMMUTABLE;
CREATE FUNCTION juki._sha256_final(internal)
	RETURNS text AS 'MODULE_PATHNAME', 'juki_sha256_final' LANGUAGE C IMMUTABLE;
CREATE AGGREGATE juki._sha256_agg(text) (
	SFUNC = juki._sha256_step, STYPE = internal, FINALFUNC = juki._sha256_final);
CREATE FUNCTION juki._session_operator()
	RETURNS bigint AS 'MODULE_PATHNAME', 'juki_internal_session_operator' LANGUAGE C STABLE;
-- The registrar's staging table for import_residents (staging.c): locked,
-- then checked to be a plain heap table of resident fields, and read by
-- juki's own scan, so that nothing of the caller's (a view, rule, trigger,
-- policy, default, type or cast) runs inside the door.
CREATE FUNCTION juki._staging_check(source regclass)
	RETURNS void AS 'MODULE_PATHNAME', 'juki_staging_check' LANGUAGE C VOLATILE;
CREATE FUNCTION juki._staging_rows(source regclass)
	RETURNS TABLE (resident_code text, individual_number text, full_name text,
				   full_name_kana text, former_surname text, alias_name text, birth_date text,
				   sex text, address text, municipality_code text, change_reason text,
				   change_date text, status text)
	AS 'MODULE_PATHNAME', 'juki_staging_rows' LANGUAGE C VOLATILE;
-- crypt(password, gen_salt('bf')) by pgcrypto's own C functions, recognised
-- by extension membership, language, library and symbol (pgcrypto_fn.c).
CREATE FUNCTION juki._bcrypt(password text)
	RETURNS text AS 'MODULE_PATHNAME', 'juki_internal_bcrypt' LANGUAGE C VOLATILE;
