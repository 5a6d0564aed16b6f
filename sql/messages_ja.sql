-- juki's messages in Japanese (issue 19): with lc_messages = 'ja_JP.UTF-8'
-- every refusal reads in Japanese, from C (the door, the guard, the code
-- checks) and from juki's PL/pgSQL functions (juki._fail translates the
-- finished English text through its template); the reason code stays the
-- same in every language, in DETAIL ("reason: <code>") and in the error's
-- constraint_name field; juki's own refusals from PL/pgSQL carry no CONTEXT
-- lines of juki's functions.  The test setup generates the locale.
\set su :USER
-- each field of the error, and whether CONTEXT names juki's internals
CREATE FUNCTION juki_test.err(q text, OUT state text, OUT message text, OUT detail text,
							  OUT hint text, OUT reason_field text, OUT juki_context boolean)
	LANGUAGE plpgsql AS $$
DECLARE
	ctx text;
BEGIN
	EXECUTE q;
	message := 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
		reason_field = CONSTRAINT_NAME, ctx = PG_EXCEPTION_CONTEXT;
	message := regexp_replace(message, '\d+', 'N', 'g');
	juki_context := ctx ~ 'PL/pgSQL function juki\.';
END
$$;
CREATE TABLE juki_test.ja_case (n int PRIMARY KEY, who name, q text);
INSERT INTO juki_test.ja_case VALUES
	-- C: the code check (errmsg literal with translated parts)
	(1, :'su', $$SELECT juki.check_resident_code('12345')$$),
	-- C: the guard refuses a direct call of an internal function
	(2, :'su', $$SELECT juki._fail('x', 'y', '22023', 'z')$$),
	-- C: role membership (access/caller.c)
	(3, :'su', $$SELECT juki.register_operator('regress_nobody_ja', '窓口 花子', '住民課')$$),
	-- PL/pgSQL through juki._fail: a format() template with a hint
	(4, 'regress_manager', $$SELECT juki.register_operator('regress_nobody_ja', '窓口 花子', '住民課')$$),
	-- PL/pgSQL: a literal message
	(5, 'regress_manager', $$SELECT juki.register_operator('regress_nobody_ja', '窓口 花子', '住民課', 'other')$$),
	-- PL/pgSQL: a message with a number in it
	(6, 'regress_manager', $$SELECT juki.record_training(999999, 'operator', current_date)$$),
	-- PL/pgSQL: the null_argument message of juki._start
	(7, 'regress_manager', $$SELECT juki.record_training(NULL, 'operator', current_date)$$),
	-- C, the door: no session attached
	(8, 'regress_op_ed', $$SELECT * FROM juki.lookup('move_in', '24681357900')$$),
	-- C, the door: a token that is none
	(9, 'regress_op_ed', $$SELECT juki.attach('no-token')$$),
	-- C, login: an unknown card
	(10, 'regress_op_ed', $$SELECT juki.card_challenge('NO-SUCH-CARD')$$),
	-- PL/pgSQL through juki._raise: a template whose argument is a message too
	(11, 'regress_registrar', $$SELECT juki.import_residents('public.regress_staging_ja')$$),
	-- C, issue 17 through juki_bad_input: a literal, then a template with a number
	(12, 'regress_manager', $$SELECT juki.add_cosignature(NULL, NULL)$$),
	(13, 'regress_manager', $$SELECT juki.add_cosignature(999999, 'x')$$);
GRANT SELECT ON juki_test.ja_case TO PUBLIC;
-- a staging table whose one row has a bad 個人番号 (a synthetic resident)
CREATE TABLE public.regress_staging_ja (resident_code text, individual_number text, full_name text,
	full_name_kana text, former_surname text, alias_name text, birth_date text, sex text, address text,
	municipality_code text, change_reason text, change_date text, status text);
INSERT INTO public.regress_staging_ja
SELECT resident_code, '123', full_name, full_name_kana, former_surname, alias_name, birth_date::text, sex,
	   address, municipality_code, change_reason, change_date::text, status
  FROM juki_test.town ORDER BY resident_code LIMIT 1;
GRANT SELECT ON public.regress_staging_ja TO regress_registrar;
CREATE TABLE juki_test.ja_result (lang text, n int, state text, message text, detail text,
								  hint text, reason_field text, juki_context boolean);
GRANT INSERT, SELECT ON juki_test.ja_result TO PUBLIC;
ALTER ROLE regress_manager SET lc_messages = 'ja_JP.UTF-8';
ALTER ROLE regress_op_ed SET lc_messages = 'ja_JP.UTF-8';
ALTER ROLE regress_registrar SET lc_messages = 'ja_JP.UTF-8';

-- in Japanese
SET lc_messages = 'ja_JP.UTF-8';
INSERT INTO juki_test.ja_result SELECT 'ja', n, e.* FROM juki_test.ja_case, juki_test.err(q) e WHERE who = :'su';
\c - regress_manager
INSERT INTO juki_test.ja_result SELECT 'ja', n, e.* FROM juki_test.ja_case, juki_test.err(q) e WHERE who = current_user;
\c - regress_op_ed
INSERT INTO juki_test.ja_result SELECT 'ja', n, e.* FROM juki_test.ja_case, juki_test.err(q) e WHERE who = current_user;
\c - regress_registrar
INSERT INTO juki_test.ja_result SELECT 'ja', n, e.* FROM juki_test.ja_case, juki_test.err(q) e WHERE who = current_user;
\c - :su
-- and in English
ALTER ROLE regress_manager RESET lc_messages;
ALTER ROLE regress_op_ed RESET lc_messages;
ALTER ROLE regress_registrar RESET lc_messages;
SET lc_messages = 'C';
INSERT INTO juki_test.ja_result SELECT 'en', n, e.* FROM juki_test.ja_case, juki_test.err(q) e WHERE who = :'su';
\c - regress_manager
INSERT INTO juki_test.ja_result SELECT 'en', n, e.* FROM juki_test.ja_case, juki_test.err(q) e WHERE who = current_user;
\c - regress_op_ed
INSERT INTO juki_test.ja_result SELECT 'en', n, e.* FROM juki_test.ja_case, juki_test.err(q) e WHERE who = current_user;
\c - regress_registrar
INSERT INTO juki_test.ja_result SELECT 'en', n, e.* FROM juki_test.ja_case, juki_test.err(q) e WHERE who = current_user;
\c - :su

\x on
-- what town staff read
SELECT n, state, message, detail, hint, reason_field, juki_context
  FROM juki_test.ja_result WHERE lang = 'ja' ORDER BY n;
\x off
-- the same SQLSTATE, reason code and field in both languages; the reason
-- code leads DETAIL untranslated; the messages differ (they are translated)
SELECT j.n, j.state = e.state AS same_sqlstate,
	   j.reason_field IS NOT DISTINCT FROM e.reason_field AS same_reason_field,
	   substring(j.detail FROM '^reason: ([a-z_]+)') IS NOT DISTINCT FROM
		 substring(e.detail FROM '^reason: ([a-z_]+)') AS same_reason,
	   nullif(j.reason_field, '') IS NOT DISTINCT FROM substring(j.detail FROM '^reason: ([a-z_]+)') AS field_is_reason,
	   j.message <> e.message AS translated,
	   j.message ~ '[ぁ-んァ-ヶ一-龥]' AS japanese
  FROM juki_test.ja_result j JOIN juki_test.ja_result e ON e.n = j.n AND e.lang = 'en'
 WHERE j.lang = 'ja' ORDER BY j.n;
-- no resident data in any of them (the codes asked for never appear)
SELECT count(*) AS messages_with_codes FROM juki_test.ja_result
 WHERE concat_ws(' ', message, detail, hint) ~ '24681357900';
