-- 既存住基システム (registrar): bulk import of 本人確認情報 from a staging
-- table (all or nothing), 異動 (changes), DV等支援措置 (support measures).
-- The log names residents by resident code only, never by name or address.
\set su :USER
\set showlog 'SELECT l.action, l.outcome, l.reason, l.row_count, CASE WHEN l.outcome = ''granted'' THEN l.detail - ''{sha256,support_measure_id,starts_on,ends_on}''::text[] END AS detail, l.subjects FROM juki.operation_log l WHERE l.seq > :mark AND l.action <> ''log_read'' ORDER BY l.seq'
\c - regress_auditor
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

-- staging tables, as the existing 住基 system would fill them
CREATE TABLE public.regress_staging (
	resident_code text, individual_number text, full_name text, full_name_kana text,
	former_surname text, alias_name text, birth_date date, sex text, address text,
	municipality_code text, change_reason text, change_date date);
INSERT INTO public.regress_staging VALUES
 ('10000000003', '345678901234', '七ヶ宿 花子', 'シチカシュク ハナコ', '山田', NULL, '1980-04-01', '2',
  '宮城県刈田郡七ヶ宿町字関 1', '043028', 'initial_registration', '2000-01-01'),
 ('10000000001', '123456789018', '七ヶ宿 太郎', 'シチカシュク タロウ', NULL, NULL, '1975-12-31', '1',
  '宮城県刈田郡七ヶ宿町字関 1', '043028', 'initial_registration', '2000-01-01'),
 ('10000000002', '234567890121', '湯原 次郎', 'ユノハラ ジロウ', NULL, 'ジョー', '2010-07-07', '1',
  '宮城県刈田郡七ヶ宿町字湯原 2', '043028', 'birth', '2010-07-07');
-- text dates, no optional columns
CREATE TABLE public.regress_staging_text (
	resident_code varchar(11), individual_number text, full_name text, full_name_kana text,
	birth_date text, sex text, address text, municipality_code text, change_reason text,
	change_date text, status text);
INSERT INTO public.regress_staging_text VALUES
 ('10000000004', '456789012346', '稲子 四郎', 'イナゴ シロウ', '1950-02-28', '1', '宮城県刈田郡七ヶ宿町字稲子 4',
  '043028', 'move_in', '2020-02-29', 'active'),
 ('10000000005', '567890123457', '稲子 五子', 'イナゴ イツコ', '1952-03-01', '9', '宮城県刈田郡七ヶ宿町字稲子 4',
  '043028', 'move_out', '2021-03-01', 'removed');
CREATE VIEW public.regress_staging_view AS SELECT * FROM public.regress_staging;
CREATE TABLE public.regress_staging_rls (LIKE public.regress_staging);
ALTER TABLE public.regress_staging_rls ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.regress_staging_typo (LIKE public.regress_staging);
ALTER TABLE public.regress_staging_typo RENAME COLUMN full_name_kana TO fullname_kana;
CREATE TABLE public.regress_staging_short AS SELECT resident_code, full_name FROM public.regress_staging;
CREATE TABLE public.regress_staging_bad (LIKE public.regress_staging_text);
GRANT SELECT ON public.regress_staging_view, public.regress_staging_rls, public.regress_staging_typo,
	public.regress_staging_short, public.regress_staging_bad, public.regress_staging_text TO regress_registrar;

------------------------------------------------------- import_residents
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging')$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents(NULL)$$);
SELECT juki_test.tryn($$SELECT juki.import_residents('juki.resident')$$);
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_view')$$);
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_rls')$$);
-- the registrar may not read this one (the function runs as juki's owner)
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging')$$);
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_typo')$$);
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_short')$$);
\c - :su
GRANT SELECT ON public.regress_staging TO regress_registrar;

-- every row is checked; the first bad one (in resident_code order) is named
-- without repeating the bad value, and nothing is imported
CREATE FUNCTION juki_test.bad_row(r text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE public.regress_staging_bad;
	INSERT INTO public.regress_staging_bad SELECT * FROM public.regress_staging_text;
	EXECUTE 'UPDATE public.regress_staging_bad SET ' || r || ' WHERE resident_code = ''10000000005''';
	RETURN r;
END
$$;
SELECT juki_test.bad_row($$individual_number = '567890123450'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
SELECT juki_test.bad_row($$birth_date = '1952-02-30'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
SELECT juki_test.bad_row($$birth_date = '01/03/1952'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
SELECT juki_test.bad_row($$change_date = '1951-01-01'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
SELECT juki_test.bad_row($$sex = '3', full_name = ''$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
SELECT juki_test.bad_row($$municipality_code = '043029'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
SELECT juki_test.bad_row($$change_reason = 'marriage'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
SELECT juki_test.bad_row($$status = 'gone'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
SELECT juki_test.bad_row($$resident_code = '10000000004'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
SELECT juki_test.bad_row($$resident_code = '1000000000X'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
\c - :su
-- an individual number twice in the source: the later row (in code order) is named
SELECT juki_test.bad_row($$individual_number = '456789012346'$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_bad')$$);
-- the good rows: dates as dates, and as text
SELECT juki.import_residents('public.regress_staging') AS imported;
SELECT juki.import_residents('public.regress_staging_text') AS imported;
-- once only: codes and individual numbers are unique
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging')$$);
\c - :su
-- a new code with an individual number already registered
CREATE TABLE public.regress_staging_dupnum AS
	SELECT * FROM public.regress_staging WHERE resident_code = '10000000001';
UPDATE public.regress_staging_dupnum SET resident_code = '10000000099';
GRANT SELECT ON public.regress_staging_dupnum TO regress_registrar;
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.import_residents('public.regress_staging_dupnum')$$);
\c - :su
DROP TABLE public.regress_staging_dupnum;

-- the logged SHA-256 is reproducible from the staging table: one line per
-- row (the row as JSON, fields as text, no updated_at), in resident_code order
SELECT encode(sha256(convert_to(string_agg(to_jsonb(s)::text || E'\n', '' ORDER BY s.resident_code COLLATE "C"), 'UTF8')), 'hex')
       AS expected_sha256
  FROM (SELECT resident_code, individual_number, full_name, full_name_kana, former_surname, alias_name,
               to_char(birth_date, 'YYYY-MM-DD') AS birth_date, sex, address, municipality_code, change_reason,
               to_char(change_date, 'YYYY-MM-DD') AS change_date, 'active'::text AS status
          FROM public.regress_staging) s \gset
\c - regress_auditor
SELECT row_count, detail->>'source' AS source, detail->>'sha256' = :'expected_sha256' AS sha256_matches, subjects
  FROM juki.operation_log WHERE seq > :mark AND action = 'import_residents' AND outcome = 'granted'
   AND detail->>'source' = 'public.regress_staging';
:showlog;
-- no name or address of a resident reached the log
SELECT count(*) AS leaks FROM juki.operation_log
 WHERE seq > :mark AND (detail::text ~ '七ヶ宿 |湯原 |稲子 |宮城県' OR subjects::text ~ '七ヶ宿');
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

---------------------------------------------------------- record_change
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"address": "x"}', 'move_within', current_date)$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', NULL, 'move_within', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('1000000000', '{"address": "x"}', 'move_within', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"address": "x"}', 'marriage', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '["address"]', 'move_within', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"resident_code": "10000000009"}', 'other', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"status": "removed"}', 'other', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{}', 'move_within', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"sex": 1}', 'ex_officio_correction', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"sex": "7"}', 'ex_officio_correction', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"full_name": null}', 'ex_officio_correction', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"birth_date": "1975-13-01"}', 'ex_officio_correction', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"address": "x"}', 'move_within', current_date + 1)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"address": "x"}', 'move_within', '1970-01-01')$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000009', '{"address": "x"}', 'move_within', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000001', '{"individual_number": "234567890121"}', 'ex_officio_correction', current_date)$$);
-- 転居, a correction clearing the alias, 転出 (消除), then a return (転入)
SELECT juki.record_change('10000000001', '{"address": "宮城県刈田郡七ヶ宿町字滝ノ上 3", "municipality_code": "043028"}',
                          'move_within', current_date);
SELECT juki.record_change('10000000002', '{"alias_name": null, "full_name_kana": "ユノハラ ジロウ"}',
                          'ex_officio_correction', current_date);
SELECT juki.record_change('10000000003', '{}', 'move_out', current_date);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000003', '{"address": "x"}', 'move_within', current_date)$$);
SELECT juki_test.tryn($$SELECT juki.record_change('10000000003', '{}', 'death', current_date)$$);
SELECT juki.record_change('10000000003', '{"address": "宮城県刈田郡七ヶ宿町字関 5"}', 'move_in', current_date);
SELECT juki.record_change('10000000003', '{"address": "宮城県刈田郡七ヶ宿町字関 6"}', 'move_within', current_date);
\c - regress_auditor
:showlog;
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

---------------------------------------------------- set_support_measure
SELECT juki_test.tryn($$SELECT juki.set_support_measure('10000000002', current_date, current_date + 180, NULL)$$);
\c - regress_registrar
SELECT juki_test.tryn($$SELECT juki.set_support_measure('10000000002', NULL, current_date + 180, NULL)$$);
SELECT juki_test.tryn($$SELECT juki.set_support_measure('1000000000Z', current_date, current_date + 180, NULL)$$);
SELECT juki_test.tryn($$SELECT juki.set_support_measure('10000000002', current_date, (current_date + interval '1 year')::date, NULL)$$);
SELECT juki_test.tryn($$SELECT juki.set_support_measure('10000000002', current_date, current_date - 1, NULL)$$);
SELECT juki_test.tryn($$SELECT juki.set_support_measure('10000000002', current_date - 100, current_date - 1, NULL)$$);
SELECT juki_test.tryn($$SELECT juki.set_support_measure('10000000009', current_date, current_date + 180, NULL)$$);
SELECT juki.set_support_measure('10000000002', current_date, (current_date + interval '1 year')::date - 1,
                                'DV 相談記録あり (本文は記録しない)') AS m1 \gset
SELECT juki.set_support_measure('10000000001', current_date + 10, current_date + 100, NULL) AS m2 \gset
------------------------------------------------------ end_support_measure
SELECT juki_test.tryn('SELECT juki.end_support_measure(NULL)');
SELECT juki_test.tryn('SELECT juki.end_support_measure(-1)');
SELECT juki.end_support_measure(:m1);
SELECT juki.end_support_measure(:m2);
SELECT juki_test.tryn(format('SELECT juki.end_support_measure(%s)', :m1));
\c - regress_auditor
:showlog;
-- the measure's note never reaches the log
SELECT count(*) AS leaks FROM juki.operation_log WHERE seq > :mark AND detail::text LIKE '%相談%';
\c - :su
-- and the tables stay closed to the registrar
\c - regress_registrar
SELECT juki_test.tryn('SELECT count(*) FROM juki.resident');
\c - :su

DROP VIEW public.regress_staging_view;
DROP TABLE public.regress_staging, public.regress_staging_text, public.regress_staging_rls,
	public.regress_staging_typo, public.regress_staging_short, public.regress_staging_bad;
