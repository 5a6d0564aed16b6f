-- Volume (issue 13, class 9): the per-request row limit must not be escapable
-- by many requests.  Each purpose has a ceiling per statement and per window
-- (per operator); beyond them only a bulk permit lets rows through, exactly
-- as many as it says, in one statement.  Each refusal is volume_exceeded
-- (54000) and on record.
\set su :USER
SELECT last_seq AS seq0 FROM juki.status() \gset
SELECT current_setting('juki.statement_rows') AS statement_rows_default,
	   current_setting('juki.window_rows') AS window_rows_default,
	   current_setting('juki.volume_window') AS volume_window;

-- residents to ask for: active, not under a support measure, numbered
SELECT resident_code AS protected FROM juki_test.town WHERE status = 'active'
 ORDER BY resident_code OFFSET 5 LIMIT 1 \gset
CREATE TABLE juki_test.vol_codes AS
SELECT row_number() OVER (ORDER BY resident_code)::int AS n, resident_code
  FROM juki_test.town WHERE status = 'active' AND resident_code <> :'protected';
GRANT SELECT ON juki_test.vol_codes TO PUBLIC;
CREATE FUNCTION juki_test.code_for(g int) RETURNS text LANGUAGE sql STABLE
	AS 'SELECT resident_code FROM juki_test.vol_codes WHERE n = g';
SELECT count(*) > 100 AS enough_residents FROM juki_test.vol_codes;
-- a household of exactly two active residents, none protected
SELECT address AS household2 FROM juki_test.town GROUP BY address
HAVING count(*) FILTER (WHERE status = 'active') = 2
   AND NOT bool_or(resident_code = :'protected') ORDER BY address LIMIT 1 \gset

-- the system administrator defines a purpose with its own ceilings: at most
-- 3 rows a request, 4 a statement, 12 in the window; bad ceilings refused
\c - regress_door_sys
SELECT juki.define_purpose('regress_vol', 'regress: volume', 'regress', '住民課',
						   '{full_name,address,resident_code}', '{resident_code,address}', 3,
						   statement_rows => 4, window_rows => 12) AS v;
SELECT juki_test.try($$SELECT juki.define_purpose('regress_vol2', 'x', 'x', '住民課', '{full_name}',
	'{resident_code}', 5, statement_rows => 4)$$);
SELECT juki_test.try($$SELECT juki.define_purpose('regress_vol2', 'x', 'x', '住民課', '{full_name}',
	'{resident_code}', 5, statement_rows => 10, window_rows => 9)$$);
SELECT juki_test.try($$SELECT juki.define_purpose('regress_vol2', 'x', 'x', '住民課', '{full_name}',
	'{resident_code}', 5, window_rows => 0)$$);
SELECT juki_test.try($$SELECT juki.define_purpose('regress_vol2', 'x', 'x', '住民課', '{full_name}',
	'{resident_code}', 5, statement_rows => 100000001)$$);
-- purposes() shows them; NULL means the server's default (seeded purposes)
SELECT code, max_rows, statement_rows, window_rows FROM juki.purposes()
 WHERE code IN ('regress_vol', 'wide_area_copy_issuance', 'regress_bulk') ORDER BY code;
\c - :su

-- an operator of 住民課, designated and permitted as usual
CREATE ROLE regress_op_vol LOGIN;
GRANT juki_operator TO regress_op_vol;
\set pub_ed `cat keys/card_ed25519.pub`
\c - regress_door_am
SELECT juki.register_operator('regress_op_vol', '住民課 大量 太郎', '住民課') AS op_vol \gset
SELECT juki.register_card(:op_vol, 'CARD-VOL-1', :'pub_ed', current_date + 365);
SELECT juki.set_password(:op_vol, 'Madoguchi#2026');
SELECT juki.record_training(:op_vol, 'operator', current_date - 10);
\c - regress_officer_j
SELECT juki.designate(:op_vol, '{wide_area_copy_issuance}', current_date + 30, 'counter') > 0 AS designated;
SELECT juki.designate(:op_vol, '{regress_vol,regress_bulk}', current_date + 30, 'volume') > 0 AS designated;
\c - regress_op_vol
\set card CARD-VOL-1
\set key keys/card_ed25519.pem
\set pw Madoguchi#2026
\i login.psql
\set vol_token :token
BEGIN;
SELECT juki.attach(:'vol_token');
SELECT juki.request_permit('wide_area_copy_issuance', 'counter', now() + interval '1 day') AS p_wide \gset
COMMIT;
BEGIN;
SELECT juki.attach(:'vol_token');
SELECT juki.request_permit('regress_vol', 'counter', now() + interval '1 day') AS p_vol \gset
COMMIT;
\c - regress_officer_j
SELECT juki.approve_permit(:p_wide);
SELECT juki.approve_permit(:p_vol);
\c - :su

-- 1. The attack of the issue: generate_series × LATERAL lookup in one
-- statement.  A seeded purpose has the default statement ceiling: the
-- statement is refused at the first resident beyond it, once, on record.
SELECT last_seq AS seq1 FROM juki.status() \gset
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token');
SELECT juki_test.try($$SELECT count(*) FROM generate_series(1, 150) g,
	LATERAL juki.lookup('wide_area_copy_issuance', juki_test.code_for(g)) l$$);
COMMIT;
\c - regress_auditor
SELECT outcome, reason, count(*), detail->>'ceiling' AS ceiling
  FROM juki.operation_log WHERE seq > :seq1 AND action = 'lookup'
 GROUP BY 2, 1, 4 ORDER BY 1 DESC;
\c - :su

-- the same attack by a pooled application with the one-statement token form
SELECT last_seq AS seq2 FROM juki.status() \gset
\c - regress_terminal
SELECT juki_test.try(format($$SELECT count(*) FROM generate_series(21, 150) g,
	LATERAL juki.lookup('wide_area_copy_issuance', juki_test.code_for(g), %L) l$$, :'vol_token'));
\c - :su
-- … through a cursor, fetched a little at a time: still one statement's rows
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token');
DECLARE c CURSOR FOR SELECT l.resident_code FROM generate_series(41, 150) g,
	LATERAL juki.lookup('wide_area_copy_issuance', juki_test.code_for(g)) l;
MOVE 15 IN c;
SELECT juki_test.try('MOVE 15 IN c');
ROLLBACK;
-- … and in a PL/pgSQL loop
BEGIN;
SELECT juki.attach(:'vol_token');
SELECT juki_test.try($$DO $do$ BEGIN FOR g IN 61 .. 150 LOOP
	PERFORM juki.lookup('wide_area_copy_issuance', juki_test.code_for(g)); END LOOP; END $do$ $$);
COMMIT;
\c - :su
-- … in a procedure that commits between lookups (each call attaches anew)
CREATE PROCEDURE juki_test.vol_proc(tok text) LANGUAGE plpgsql AS $$
BEGIN
	FOR g IN 81 .. 150 LOOP
		PERFORM juki.lookup('wide_area_copy_issuance', juki_test.code_for(g), tok);
		COMMIT;
	END LOOP;
END $$;
GRANT EXECUTE ON PROCEDURE juki_test.vol_proc(text) TO regress_terminal;
\c - regress_terminal
\set VERBOSITY terse
CALL juki_test.vol_proc(:'vol_token');
-- … and in several statements sent as one query message
SELECT count(*) FROM generate_series(101, 115) g, LATERAL juki.lookup('wide_area_copy_issuance', juki_test.code_for(g), :'vol_token') l \;
SELECT count(*) FROM generate_series(116, 130) g, LATERAL juki.lookup('wide_area_copy_issuance', juki_test.code_for(g), :'vol_token') l;
\set VERBOSITY default
\c - regress_auditor
SELECT outcome, reason, count(*), detail->>'ceiling' AS ceiling
  FROM juki.operation_log WHERE seq > :seq2 AND action = 'lookup'
 GROUP BY 2, 1, 4 ORDER BY 1 DESC;
\c - :su

-- 2. A purpose's own ceilings.  Statement: 4 rows, the fifth refused.
SELECT last_seq AS seq3 FROM juki.status() \gset
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token');
SELECT count(l.resident_code) AS statement_of_four FROM generate_series(1, 4) g,
	LATERAL juki.lookup('regress_vol', juki_test.code_for(g)) l;
SELECT juki_test.try($$SELECT count(*) FROM generate_series(5, 9) g,
	LATERAL juki.lookup('regress_vol', juki_test.code_for(g)) l$$);
COMMIT;
-- the window (12 rows): 8 so far.  Search results count, and a rollback
-- does not give them back.
BEGIN;
SELECT juki.attach(:'vol_token');
SELECT count(*) AS household FROM juki.search('regress_vol', jsonb_build_object('address', :'household2'));
ROLLBACK;
\c - :su
-- many single requests, each its own statement and transaction (the
-- pooled application's form): two more fit, the third is refused
\c - regress_terminal
SELECT (juki.lookup('regress_vol', juki_test.code_for(10), :'vol_token')).resident_code IS NOT NULL AS granted;
SELECT (juki.lookup('regress_vol', juki_test.code_for(11), :'vol_token')).resident_code IS NOT NULL AS granted;
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L, %L)', 'regress_vol', juki_test.code_for(12), :'vol_token'));
-- a new connection and a new login of the same operator: the window holds
\c - regress_op_vol
\i login.psql
\set vol_token2 :token
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'regress_vol', juki_test.code_for(13)));
COMMIT;
-- other purposes have their own windows
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT (juki.lookup('wide_area_copy_issuance', juki_test.code_for(13))).resident_code IS NOT NULL AS other_purpose;
COMMIT;
\c - :su

-- 3. A bulk permit: beyond the ceilings, exactly its rows, in one statement.
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT juki.request_permit('regress_vol', 'batch of five', now() + interval '1 day', bulk_rows => 5) AS p_bulk5 \gset
COMMIT;
\c - regress_officer_j2
SELECT juki.approve_permit(:p_bulk5);
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT count(l.resident_code) AS bulk_of_five FROM generate_series(13, 17) g,
	LATERAL juki.lookup('regress_vol', juki_test.code_for(g)) l;
-- used: the next statement is back under the ceilings
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'regress_vol', juki_test.code_for(18)));
SELECT juki.request_permit('regress_vol', 'batch of three', now() + interval '1 day', bulk_rows => 3) AS p_bulk3 \gset
COMMIT;
\c - regress_officer_j2
SELECT juki.approve_permit(:p_bulk3);
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token2');
-- four asked, three allowed: the fourth is refused
SELECT juki_test.try($$SELECT count(*) FROM generate_series(18, 21) g,
	LATERAL juki.lookup('regress_vol', juki_test.code_for(g)) l$$);
COMMIT;
\c - :su

-- an operator who holds only a bulk permit for a purpose runs under it from
-- the first request, for its rows, in one statement
\c - regress_officer_j
SELECT juki.designate(:op_vol, '{move_out}', current_date + 30, 'one batch') > 0 AS designated;
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT juki.request_permit('move_out', 'two move-outs', now() + interval '1 day', bulk_rows => 2) AS p_out \gset
COMMIT;
\c - regress_officer_j2
SELECT juki.approve_permit(:p_out);
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT count(l.resident_code) AS only_bulk FROM generate_series(31, 32) g,
	LATERAL juki.lookup('move_out', juki_test.code_for(g)) l;
SELECT juki_test.try(format('SELECT juki.lookup(%L, %L)', 'move_out', juki_test.code_for(33)));
COMMIT;
\c - :su

-- 4. A batch purpose (every request under a bulk permit): the permit's rows
-- serve one statement, however many requests it makes, and no more rows
-- than it says
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT juki.request_permit('regress_bulk', 'two ranges', now() + interval '1 day', bulk_rows => 1000) AS p_batch \gset
COMMIT;
\c - regress_officer_j2
SELECT juki.approve_permit(:p_batch);
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT (SELECT count(*) FROM juki.search('regress_bulk', '{"birth_date_from": "1900-01-01", "birth_date_to": "1949-12-31"}')) AS range1,
	   (SELECT count(*) FROM juki.search('regress_bulk', '{"birth_date_from": "1950-01-01", "birth_date_to": "1969-12-31"}')) AS range2 \gset
SELECT :range1 > 0 AND :range2 > 0 AS two_searches_one_statement;
-- the next statement finds the permit used
SELECT juki_test.try($$SELECT count(*) FROM juki.search('regress_bulk', '{"birth_date_from": "1900-01-01", "birth_date_to": "1900-12-31"}')$$);
SELECT juki.request_permit('regress_bulk', 'exactly both ranges', now() + interval '1 day',
						   bulk_rows => :range1 + :range2) AS p_batch_exact \gset
SELECT juki.request_permit('regress_bulk', 'both ranges, one row short', now() + interval '1 day',
						   bulk_rows => :range1 + :range2 - 1) AS p_batch_short \gset
COMMIT;
\c - regress_officer_j2
SELECT juki.approve_permit(:p_batch_exact);
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT (SELECT count(*) FROM juki.search('regress_bulk', '{"birth_date_from": "1900-01-01", "birth_date_to": "1949-12-31"}'))
	 + (SELECT count(*) FROM juki.search('regress_bulk', '{"birth_date_from": "1950-01-01", "birth_date_to": "1969-12-31"}'))
	 = :range1 + :range2 AS exactly_allowed;
COMMIT;
\c - regress_officer_j2
SELECT juki.approve_permit(:p_batch_short);
\c - regress_op_vol
BEGIN;
SELECT juki.attach(:'vol_token2');
SELECT juki_test.try($$SELECT (SELECT count(*) FROM juki.search('regress_bulk', '{"birth_date_from": "1900-01-01", "birth_date_to": "1949-12-31"}'))
	+ (SELECT count(*) FROM juki.search('regress_bulk', '{"birth_date_from": "1950-01-01", "birth_date_to": "1969-12-31"}'))$$);
COMMIT;
\c - :su

-- the record: every granted row under which permit, every refusal with its ceiling
\c - regress_auditor
SELECT action, outcome, reason, CASE permit_id WHEN :p_vol THEN 'general' WHEN :p_bulk5 THEN 'bulk5'
		   WHEN :p_bulk3 THEN 'bulk3' WHEN :p_batch THEN 'batch' WHEN :p_batch_exact THEN 'batch_exact'
		   WHEN :p_batch_short THEN 'batch_short' END AS permit,
	   count(*) AS entries, sum(row_count) AS rows, string_agg(DISTINCT detail->>'ceiling', ',') AS ceiling
  FROM juki.operation_log
 WHERE seq > :seq3 AND action IN ('lookup', 'search') AND purpose IN ('regress_vol', 'regress_bulk')
 GROUP BY 1, 2, 3, 4 ORDER BY min(seq);
-- a refusal says what the ceiling was and how much was disclosed; no resident data
SELECT reason, detail->>'ceiling' AS ceiling, detail->>'limit' AS "limit", detail->>'disclosed' AS disclosed,
	   detail->>'requested' AS requested, detail->>'message' AS message
  FROM juki.operation_log WHERE seq > :seq0 AND reason = 'volume_exceeded' ORDER BY seq;
-- the auditor's bulk report shows the refusals too
SELECT purpose, outcome, reason, count(*) FROM juki.report_bulk(now() - interval '1 hour', now() + interval '1 hour', 1000)
 WHERE reason = 'volume_exceeded' GROUP BY 1, 2, 3 ORDER BY 1;
\c - :su
