/*
 * juki 1.0 → 1.1 upgrade script (ALTER EXTENSION juki UPDATE).
 *
 * Every change to juki's SQL objects since the 1.0 release is here, in the
 * order it was made, and also in extension/parts/ (the source of the newest
 * full script).  test/t/050_upgrade.pl checks that 1.0 plus this script gives
 * the same catalog as a fresh install of 1.1.
 */
\echo Use "ALTER EXTENSION juki UPDATE" to load this file. \quit

-- status(): also the installed SQL version, and whether it matches the
-- library; answers without preload (columns are filled by name in C).
DROP FUNCTION juki.status();
CREATE FUNCTION juki.status(OUT preloaded boolean, OUT version text, OUT database text,
							OUT timezone text, OUT writer_pid integer, OUT accepting boolean,
							OUT queued_bytes bigint, OUT queue_capacity bigint,
							OUT last_seq bigint, OUT standby boolean,
							OUT emergency_stop boolean, OUT sql_version text,
							OUT sql_current boolean)
	AS 'MODULE_PATHNAME', 'juki_status'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION juki.status() IS
	'Is juki enforcing, and with which settings; version is the library''s, sql_version the installed objects'' (works without preload)';
REVOKE ALL ON FUNCTION juki.status() FROM PUBLIC;	-- as 99_grants.sql does, so the ACL reads the same
GRANT EXECUTE ON FUNCTION juki.status() TO PUBLIC;

-- Issue 13 (class 7) and issue 14 (section 1): every entry names the
-- authenticated login as well as the role in effect (log format 1.1: the
-- field is in the canonical form only when it has a value, so 1.0 entries
-- keep their hashes); and juki's own check is the only gate on every
-- function, so that each call is carried out or refused on record.
ALTER TABLE juki.operation_log ADD COLUMN login_role text;
COMMENT ON COLUMN juki.operation_log.login_role IS
	'the authenticated login role; db_role is the role in effect (log format 1.1: in the canonical form only when not NULL)';
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA juki
	FROM juki_chief_security_officer, juki_system_administrator, juki_security_officer,
		 juki_access_manager, juki_operator, juki_contractor_operator, juki_auditor,
		 juki_registrar, juki_terminal;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA juki FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA juki TO PUBLIC;
-- internal helpers are not STRICT: a direct call with NULL arguments must
-- reach juki's check (refused and logged) rather than return NULL unseen
ALTER FUNCTION juki._require_role(text, text[]) CALLED ON NULL INPUT;
ALTER FUNCTION juki._has_role(text) CALLED ON NULL INPUT;
ALTER FUNCTION juki._iso_date(text) CALLED ON NULL INPUT;
