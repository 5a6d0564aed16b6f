-- The door, part 1: a small town and its staff, set up only through juki's
-- functions (later door_* tests use what this one creates).
\set su :USER
SELECT last_seq AS seq0 FROM juki.status() \gset
SET client_min_messages = warning;

-- people: login roles holding juki's group roles (a DBA's GRANTs)
CREATE ROLE regress_door_chief LOGIN;          GRANT juki_chief_security_officer TO regress_door_chief;
CREATE ROLE regress_door_sys LOGIN;       GRANT juki_system_administrator TO regress_door_sys;
CREATE ROLE regress_door_am LOGIN;        GRANT juki_access_manager TO regress_door_am;
CREATE ROLE regress_officer_j LOGIN;      GRANT juki_security_officer TO regress_officer_j;
CREATE ROLE regress_officer_j2 LOGIN;     GRANT juki_security_officer TO regress_officer_j2;
CREATE ROLE regress_officer_h LOGIN;      GRANT juki_security_officer TO regress_officer_h;
CREATE ROLE regress_door_reg LOGIN;      GRANT juki_registrar TO regress_door_reg;
CREATE ROLE regress_terminal LOGIN;       GRANT juki_terminal TO regress_terminal;
CREATE ROLE regress_op_ed LOGIN;          GRANT juki_operator TO regress_op_ed;
CREATE ROLE regress_op_p256 LOGIN;        GRANT juki_operator TO regress_op_p256;
CREATE ROLE regress_op_rsa LOGIN;         GRANT juki_operator TO regress_op_rsa;
CREATE ROLE regress_op_new LOGIN;         GRANT juki_operator TO regress_op_new;
GRANT CREATE ON SCHEMA juki_test TO regress_door_reg;
RESET client_min_messages;

-- the registrar imports the town from a staging table it owns
\c - regress_door_reg
CREATE TABLE juki_test.staging (
	resident_code text, individual_number text, full_name text, full_name_kana text,
	former_surname text, alias_name text, birth_date date, sex text, address text,
	municipality_code text, change_reason text, change_date date, status text);
\copy juki_test.staging FROM 'town.tsv'
SELECT juki.import_residents('juki_test.staging') AS imported;
\c - :su

-- the fixtures later tests use, picked from the staging data (not from juki)
CREATE TABLE juki_test.town AS SELECT * FROM juki_test.staging;
GRANT SELECT ON juki_test.town TO PUBLIC;
SELECT count(*) AS residents, count(*) FILTER (WHERE status = 'removed') AS removed FROM juki_test.town;

-- a resident under a support measure (DV等支援措置) from today
SELECT resident_code AS protected FROM juki_test.town WHERE status = 'active'
 ORDER BY resident_code OFFSET 5 LIMIT 1 \gset
\c - regress_door_reg
SELECT juki.set_support_measure(:'protected', current_date, current_date + 300, 'regress: DV') > 0 AS measure;
\c - :su

-- operating hours: the whole week, so that the tests run at any hour
\c - regress_door_sys
SELECT juki.set_operating_hours(NULL, '{0,1,2,3,4,5,6}', '00:00', '24:00');
SELECT juki.set_operating_hours('wide_area_copy_issuance', '{0,1,2,3,4,5,6}', '00:00', '24:00');
\c - :su

-- the access manager registers operators, their IC cards and passwords
\set pub_ed `cat keys/card_ed25519.pub`
\set pub_p256 `cat keys/card_p256.pub`
\set pub_rsa `cat keys/card_rsa.pub`
\c - regress_door_am
SELECT juki.register_operator('regress_op_ed', '住民課 窓口 一郎', '住民課') AS op_ed \gset
SELECT juki.register_operator('regress_op_p256', '住民課 窓口 二郎', '住民課') AS op_p256 \gset
SELECT juki.register_operator('regress_op_rsa', '保険年金課 三郎', '保険年金課') AS op_rsa \gset
SELECT juki.register_operator('regress_op_new', '住民課 新人', '住民課') AS op_new \gset
SELECT juki.register_card(:op_ed, 'CARD-ED-1', :'pub_ed', current_date + 365);
SELECT juki.register_card(:op_p256, 'CARD-P256-1', :'pub_p256', current_date + 365);
SELECT juki.register_card(:op_rsa, 'CARD-RSA-1', :'pub_rsa', current_date + 365);
SELECT juki.register_card(:op_new, 'CARD-NEW-1', :'pub_ed', current_date + 365);
SELECT juki.set_password(:op_ed, 'Madoguchi#2026');
SELECT juki.set_password(:op_p256, 'Madoguchi#2026');
SELECT juki.set_password(:op_rsa, 'Hoken-Nenkin-77');
SELECT juki.set_password(:op_new, 'Shinjin!2026x');
SELECT juki.record_training(:op_ed, 'operator', current_date - 30);
SELECT juki.record_training(:op_p256, 'operator', current_date - 30);
SELECT juki.record_training(:op_rsa, 'operator', current_date - 30);
\c - :su

-- the chief appoints the security officers of two departments
\c - regress_door_chief
SELECT juki.appoint_security_officer('regress_officer_j', '住民課');
SELECT juki.appoint_security_officer('regress_officer_j2', '住民課');
SELECT juki.appoint_security_officer('regress_officer_h', '保険年金課');
\c - :su

-- designations (指名) by the officer of each operator's department
\c - regress_officer_j
SELECT juki.designate(:op_ed, '{wide_area_copy_issuance,move_in,move_out,ex_officio_correction}',
					  current_date + 180, 'counter staff') > 0 AS designated;
SELECT juki.designate(:op_p256, '{wide_area_copy_issuance,move_in}', current_date + 180, 'counter staff') > 0 AS designated;
\c - regress_officer_h
SELECT juki.designate(:op_rsa, '{national_health_insurance}', current_date + 90, 'insurance desk') > 0 AS designated;
\c - :su

-- every step above is in the operation log
\c - regress_auditor
SELECT action, outcome, count(*) FROM juki.operation_log
 WHERE seq > :seq0 AND action IN ('import_residents', 'set_support_measure', 'set_operating_hours', 'register_operator',
				  'register_card', 'set_password', 'record_training', 'appoint_security_officer', 'designate')
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT row_count, detail->>'source' AS source FROM juki.operation_log
 WHERE seq > :seq0 AND action = 'import_residents' AND outcome = 'granted';
\c - :su
