/* ----------------------------------------------------------- disclosure */

-- Every resident field; those the purpose does not disclose are NULL and
-- disclosed_fields names the real ones.  status is given only to purposes
-- that may see removed residents (消除); for the others it is NULL.  lookup
-- returns no row for a resident that does not exist or that the purpose
-- may not see.
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

CREATE FUNCTION juki.lookup(purpose text, resident_code text) RETURNS SETOF juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_lookup' LANGUAGE C VOLATILE ROWS 1;
COMMENT ON FUNCTION juki.lookup(text, text) IS
	'One resident by 住民票コード, for a registered purpose, by a logged-in designated operator with a permit';
CREATE FUNCTION juki.search(purpose text, criteria jsonb) RETURNS SETOF juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_search' LANGUAGE C VOLATILE ROWS 5;
COMMENT ON FUNCTION juki.search(text, jsonb) IS
	'Residents matching criteria allowed by the purpose; more rows than allowed refuses the whole request';
-- One statement for a pooled application: attach the session and disclose.
CREATE FUNCTION juki.lookup(purpose text, resident_code text, token text) RETURNS SETOF juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_lookup_with_token' LANGUAGE C VOLATILE ROWS 1;
COMMENT ON FUNCTION juki.lookup(text, text, text) IS
	'juki.attach(token) and juki.lookup(purpose, resident_code) in one call';
CREATE FUNCTION juki.search(purpose text, criteria jsonb, token text) RETURNS SETOF juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_search_with_token' LANGUAGE C VOLATILE ROWS 5;
COMMENT ON FUNCTION juki.search(text, jsonb, text) IS
	'juki.attach(token) and juki.search(purpose, criteria) in one call';
CREATE FUNCTION juki.issue_form(purpose text, resident_code text, form_type text) RETURNS juki.form
	AS 'MODULE_PATHNAME', 'juki_issue_form' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.issue_form(text, text, text) IS
	'帳票: print a form for one resident (purposes that allow forms); recorded in the form ledger';

-- 帳票の廃棄 (juki.destroy_form) and the rest of the form ledger: 60_forms.sql.

GRANT USAGE ON TYPE juki.disclosure, juki.form TO juki_operator, juki_contractor_operator, juki_terminal;
