-- Validators and domains for 住民票コード, 個人番号, 地方公共団体コード.
-- Validators answer false for anything malformed (NULL included); the
-- domains raise 22023 with a hint naming the expected form.  Error messages
-- never echo the value (it may be personal data).

-- worked examples of GLOSSARY.md and more
\set su :USER
SELECT v, juki.is_valid_individual_number(v) AS ok
  FROM (VALUES ('123456789018'), ('000000000000'), ('111111111118'), ('123456789012'),
               ('12345678901'), ('1234567890180'), ('12345678901a'), ('１２３４５６７８９０１８'),
               ('+23456789018'), ('-23456789018'), (' 23456789018'), ('12345678901 '),
               ('1234 5678 9018'), (''), (NULL)) AS t(v);

SELECT v, juki.is_valid_municipality_code(v) AS ok
  FROM (VALUES ('131016'), ('043028'), ('011002'), ('131015'), ('043020'), ('13101'),
               ('1310160'), ('13101a'), ('１３１０１６'), ('+31016'), (' 31016'), (''), (NULL)) AS t(v);

-- resident codes: 11 digits; the check digit only when juki.check_resident_code_digit is on
SHOW juki.check_resident_code_digit;
SELECT v, juki.is_valid_resident_code(v) AS ok
  FROM (VALUES ('12345678903'), ('12345678904'), ('00000000000'), ('1234567890'),
               ('123456789012'), ('1234567890x'), ('１２３４５６７８９０３'), ('+1234567890'),
               ('1234567890.'), (E'1234567890\t'), (''), (NULL)) AS t(v);
SET juki.check_resident_code_digit = on;
SELECT v, juki.is_valid_resident_code(v) AS ok
  FROM (VALUES ('12345678903'), ('12345678904'), ('00000000000'), ('99999999999')) AS t(v);
RESET juki.check_resident_code_digit;

-- domains: 22023 with a hint, for every kind of bad input
SELECT juki_test.try($$SELECT '1234567890'::juki.resident_code$$);
SELECT juki_test.try($$SELECT '123456789012'::juki.resident_code$$);
SELECT juki_test.try($$SELECT '１２３４５６７８９０３'::juki.resident_code$$);
SELECT juki_test.try($$SELECT ''::juki.resident_code$$);
SELECT juki_test.try($$SELECT NULL::juki.resident_code$$);
SELECT juki_test.try($$SELECT '123456789012'::juki.individual_number$$);
SELECT juki_test.try($$SELECT '12345678901８'::juki.individual_number$$);
SELECT juki_test.try($$SELECT ' 23456789018'::juki.individual_number$$);
SELECT juki_test.try($$SELECT '131015'::juki.municipality_code$$);
SELECT juki_test.try($$SELECT '-31016'::juki.municipality_code$$);
-- a valid value passes unchanged
SELECT '12345678903'::juki.resident_code AS rc, '123456789018'::juki.individual_number AS num,
       '043028'::juki.municipality_code AS muni;
-- the value never appears in the message
SELECT juki_test.try($$SELECT '98765432109'::juki.individual_number$$) LIKE '%98765432109%' AS leaks_value;
-- ordinary users may validate (a login role with no juki role)
\c - regress_anyone
SELECT juki.is_valid_individual_number('123456789018');
\c - :su
