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

-- verify_log(): also how many signings the log records, how many
-- checkpoints juki.audit_checkpoint and juki.checkpoint_directory hold, and
-- the newest of them (issue 13, class 8); columns are filled by name in C.
DROP FUNCTION juki.verify_log(text[], text[]);
CREATE FUNCTION juki.verify_log(checkpoints text[] DEFAULT NULL, public_keys text[] DEFAULT NULL,
								OUT ok boolean, OUT entries_checked bigint,
								OUT first_bad_seq bigint, OUT problem text,
								OUT checkpoints_logged bigint, OUT checkpoints_stored bigint,
								OUT checkpoint_files bigint, OUT last_checkpoint_seq bigint)
	AS 'MODULE_PATHNAME', 'juki_verify_log'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.verify_log(text[], text[]) IS
	'Recompute the 操作履歴 hash chain; check stored, directory and given signed checkpoints, and that every signing the log records is stored (auditor, chief)';
REVOKE ALL ON FUNCTION juki.verify_log(text[], text[]) FROM PUBLIC;	-- as 99_grants.sql does
GRANT EXECUTE ON FUNCTION juki.verify_log(text[], text[]) TO juki_auditor, juki_chief_security_officer;
