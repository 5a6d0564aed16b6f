-- Load the synthetic town produced by gen_town.pl into juki.
\set ON_ERROR_STOP 1
\set q '\\copy juki.resident (resident_code, individual_number, full_name, full_name_kana, former_surname, alias_name, birth_date, sex, address, municipality_code, change_reason, change_date, status) FROM ' :'residents'
:q
\set q '\\copy juki.support_measure (resident_code, starts_on, ends_on, note) FROM ' :'measures'
:q
