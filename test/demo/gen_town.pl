#!/usr/bin/perl
# gen_town.pl -- deterministic synthetic-town generator for test and demo data.
#
# Produces a fictional resident register modelled on 七ヶ宿町 (宮城県刈田郡,
# municipality code 043028): a small, depopulating rural town where ~45% of
# the people are aged 65+.  Output is PostgreSQL COPY text format
# (tab-separated, \N for NULL, no header, UTF-8) on stdout.  This script is
# NOT part of the installed extension.
#
# Usage:
#   perl test/demo/gen_town.pl [--residents N] [--seed S]
#                              [--table residents|measures] [--today YYYY-MM-DD]
#   defaults: --residents 1300 --seed 1 --table residents --today 2026-04-01
#
#   residents: resident_code, individual_number, full_name, full_name_kana,
#              former_surname, alias_name, birth_date, sex, address,
#              municipality_code, change_reason, change_date, status
#   measures:  resident_code, starts_on, ends_on, note  (DV等支援措置, ~0.3%
#              of the active residents generated from the same N and seed)
#
# Deterministic: the same arguments give byte-identical output on any machine
# (Perl >= 5.20 ships its own drand48; only +,-,*,/ are applied to rand(), and
# the clock is never read).  All names, codes and addresses are synthetic; the
# 大字 names are real places in the town but the 番地 and people are made up.
# The resident-code check digit formula is a project assumption (see
# resident_cd); the 個人番号 check digit follows the published formula.
use strict;
use warnings;
use utf8;
use Getopt::Long qw(GetOptionsFromArray);

my $USAGE = "usage: perl $0 [--residents N] [--seed S] "
          . "[--table residents|measures] [--today YYYY-MM-DD]\n"
          . "  N: 1..50000000 (default 1300), S: non-negative integer (default 1),\n"
          . "  table: residents (default) or measures, today: default 2026-04-01\n";
sub usage_error { print STDERR "gen_town.pl: $_[0]\n$USAGE"; exit 2 }

# ---------------------------------------------------------------- dates
# Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian,
# day 0 = 1970-01-01); valid for the non-negative years we use.
sub days_from_civil {
    my ($y, $m, $d) = @_;
    $y-- if $m <= 2;
    my $era = int($y / 400);
    my $yoe = $y - $era * 400;
    my $doy = int((153 * ($m > 2 ? $m - 3 : $m + 9) + 2) / 5) + $d - 1;
    my $doe = $yoe * 365 + int($yoe / 4) - int($yoe / 100) + $doy;
    return $era * 146097 + $doe - 719468;
}
sub civil_from_days {
    my $z   = $_[0] + 719468;
    my $era = int($z / 146097);
    my $doe = $z - $era * 146097;
    my $yoe = int(($doe - int($doe / 1460) + int($doe / 36524) - int($doe / 146096)) / 365);
    my $doy = $doe - (365 * $yoe + int($yoe / 4) - int($yoe / 100));
    my $mp  = int((5 * $doy + 2) / 153);
    my $d   = $doy - int((153 * $mp + 2) / 5) + 1;
    my $m   = $mp < 10 ? $mp + 3 : $mp - 9;
    return ($yoe + $era * 400 + ($m <= 2 ? 1 : 0), $m, $d);
}

# ---------------------------------------------------------------- arguments
my %opt = (residents => '1300', seed => '1', table => 'residents', today => '2026-04-01');
GetOptionsFromArray(\@ARGV, \%opt, 'residents=s', 'seed=s', 'table=s', 'today=s',
                    'help' => sub { print $USAGE; exit 0 })
    or usage_error('bad option');
usage_error("unexpected argument '$ARGV[0]'") if @ARGV;
usage_error('--residents must be an integer 1..50000000')
    unless $opt{residents} =~ /\A[0-9]{1,9}\z/a && $opt{residents} >= 1 && $opt{residents} <= 50_000_000;
usage_error('--seed must be a non-negative integer') unless $opt{seed} =~ /\A[0-9]{1,15}\z/a;
usage_error('--table must be residents or measures') unless $opt{table} =~ /\A(?:residents|measures)\z/;
my ($ty, $tm, $td) = $opt{today} =~ /\A([0-9]{4})-([0-9]{2})-([0-9]{2})\z/a
    or usage_error('--today must be YYYY-MM-DD');
usage_error('--today must be a valid date in 1900..9998')
    unless $ty >= 1900 && $ty <= 9998 && $tm >= 1 && $tm <= 12 && $td >= 1
        && join('-', civil_from_days(days_from_civil($ty, $tm, $td))) eq join('-', $ty + 0, $tm + 0, $td + 0);
my ($N, $TODAY) = ($opt{residents} + 0, days_from_civil($ty, $tm, $td));

# Every day from 102 years before --today to 400 days after, as 'YYYY-MM-DD'.
my $D0 = days_from_civil($ty - 102, 1, 1);
my @DATE = map { sprintf '%04d-%02d-%02d', civil_from_days($_) } $D0 .. $TODAY + 400;
sub ds { $DATE[$_[0] - $D0] }
my $JUKI = days_from_civil(2002, 8, 5);    # 住基ネット start: earliest 'birth' reason
my $JUKI_CLAMPED = $JUKI < $TODAY ? $JUKI : $TODAY;

# ---------------------------------------------------------------- check digits
# Weighted digit sums of 5-digit chunks, indexed by the chunk's value.
sub wtable { my @t = (0); for my $w (@_) { @t = map { my $s = $_; map { $s + $_ * $w } 0 .. 9 } @t } \@t }
my ($W65432, $W54327) = (wtable(6, 5, 4, 3, 2), wtable(5, 4, 3, 2, 7));
sub mod11 { my $r = $_[0] % 11; $r <= 1 ? 0 : 11 - $r }
# 住民票コード (assumption, see README): the 個人番号 weights aligned on the right,
# 5,4,3,2,7,6,5,4,3,2 over the 10-digit body.
sub resident_cd { mod11($W54327->[int($_[0] / 100_000)] + $W65432->[$_[0] % 100_000]) }
# 個人番号: weights 6,5,4,3,2,7,6,5,4,3,2 over the 11-digit body.
sub mynumber_cd {
    my $b = $_[0];
    mod11(6 * int($b / 10_000_000_000) + $W54327->[int($b / 100_000) % 100_000] + $W65432->[$b % 100_000]);
}
# 地方公共団体コード: weights 6,5,4,3,2, digit = (11 - sum mod 11) mod 10.
sub municipality_cd { my @d = split //, $_[0]; my $s = 0; $s += $d[$_] * (6 - $_) for 0 .. 4; (11 - $s % 11) % 10 }
die "self-test: 個人番号 check digit\n"     unless mynumber_cd(12345678901) == 8;
die "self-test: resident code check digit\n" unless resident_cd(1234567890) == 3      # sum 195, r 8 -> 3
                                                 && resident_cd(1000000000) == 6;     # sum 5 -> 6
die "self-test: municipality code\n"          unless municipality_cd('04302') == 8;
my $MUNI = '04302' . municipality_cd('04302');

# ---------------------------------------------------------------- name data
# "漢字/カナ", roughly by frequency (earlier entries are drawn more often).
my @SURNAME = map { [split m{/}] } qw(
    佐藤/サトウ 高橋/タカハシ 鈴木/スズキ 伊藤/イトウ 渡辺/ワタナベ 阿部/アベ 菅原/スガワラ
    千葉/チバ 佐々木/ササキ 斎藤/サイトウ 遠藤/エンドウ 小野/オノ 今野/コンノ 後藤/ゴトウ
    加藤/カトウ 及川/オイカワ 三浦/ミウラ 菊地/キクチ 熊谷/クマガイ 庄司/ショウジ 大友/オオトモ
    我妻/ワガツマ 丹野/タンノ 菅野/カンノ 渡部/ワタナベ 佐久間/サクマ 木村/キムラ 村上/ムラカミ
    早坂/ハヤサカ 八巻/ヤマキ 山田/ヤマダ 相沢/アイザワ 赤間/アカマ 安藤/アンドウ 猪股/イノマタ
    岩渕/イワブチ 大沼/オオヌマ 尾形/オガタ 鎌田/カマタ 菊池/キクチ 工藤/クドウ 小林/コバヤシ
    近藤/コンドウ 桜井/サクライ 清水/シミズ 高野/タカノ 武田/タケダ 田中/タナカ 千田/チダ
    中村/ナカムラ 星/ホシ 松本/マツモト 山本/ヤマモト 吉田/ヨシダ 横山/ヨコヤマ 小松/コマツ
    狩野/カノウ 日下/クサカ 沼田/ヌマタ 菅井/スガイ 大場/オオバ 引地/ヒキチ 小関/コセキ
    石川/イシカワ 太田/オオタ 佐野/サノ
);
# Given names per generation: born <1950, 1950-74, 1975-99, 2000-.
my @MALE = map { [map { [split m{/}] } split ' '] } (
    '清/キヨシ 茂/シゲル 勇/イサム 博/ヒロシ 実/ミノル 正男/マサオ 武/タケシ 進/ススム 三郎/サブロウ 勝/マサル 義雄/ヨシオ 秀雄/ヒデオ',
    '誠/マコト 浩/ヒロシ 修/オサム 明/アキラ 隆/タカシ 健一/ケンイチ 和彦/カズヒコ 哲也/テツヤ 茂樹/シゲキ 直樹/ナオキ 信也/シンヤ',
    '大輔/ダイスケ 拓也/タクヤ 健太/ケンタ 翔太/ショウタ 達也/タツヤ 和也/カズヤ 雄一/ユウイチ 亮/リョウ 大樹/ダイキ 翔/ショウ',
    '陽翔/ハルト 蓮/レン 湊/ミナト 悠真/ユウマ 大翔/ヒロト 蒼/アオイ 颯太/ソウタ 陸/リク 悠人/ユウト 樹/イツキ',
);
my @FEMALE = map { [map { [split m{/}] } split ' '] } (
    '和子/カズコ 幸子/サチコ 節子/セツコ 弘子/ヒロコ 京子/キョウコ 美代子/ミヨコ 久子/ヒサコ 花子/ハナコ 千代子/チヨコ 春子/ハルコ 文子/フミコ キヨ/キヨ',
    '恵子/ケイコ 洋子/ヨウコ 裕子/ユウコ 由美子/ユミコ 真由美/マユミ 久美子/クミコ 直美/ナオミ 智子/トモコ 陽子/ヨウコ 明美/アケミ',
    '愛/アイ 彩/アヤ 麻衣/マイ 由佳/ユカ 恵/メグミ 舞/マイ 沙織/サオリ 美穂/ミホ 千尋/チヒロ 瞳/ヒトミ',
    '結愛/ユア 陽菜/ヒナ 葵/アオイ 凛/リン 結衣/ユイ 芽依/メイ 美桜/ミオ さくら/サクラ 莉子/リコ 紬/ツムギ',
);
# Real 字 of the town (weighted: 関 is the town centre), household sizes,
# DV等支援措置 notes.
my @AREA  = map { ($_->[0]) x $_->[1] } [関 => 5], [湯原 => 4], [滑津 => 3], [峠田 => 2], [横川 => 2],
                                        [干蒲 => 1], [稲子 => 1], [追見 => 1];
my @HHSIZE = (1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 5);
my ($NOTE_DV, $NOTE_STALK, $NOTE_CHILD) =
    ('DV等支援措置（配偶者からの暴力）', 'DV等支援措置（ストーカー行為等）', 'DV等支援措置（児童虐待等）');

# Age pyramid: relative weight per single year of age, per 5-year band (0-4 .. 95-99, 100).
my @BAND = (1.5, 2, 2.5, 2.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9, 9.5, 8, 7, 5.5, 3, 1, 0.1);
my @AGE_LUT;    # 10000 slots -> age, so sampling is one array lookup
{
    my @w = map { $BAND[int($_ / 5)] } 0 .. 100;
    my $total = 0; $total += $_ for @w;
    my ($age, $cum) = (0, $w[0]);
    for my $s (0 .. 9999) {
        $cum += $w[++$age] while ($s + 0.5) / 10000 * $total > $cum;
        push @AGE_LUT, $age;
    }
}

# ---------------------------------------------------------------- generator
srand($opt{seed});
my ($M1, $A1) = (7_919_136_727, int(rand() * 10_000_000_000));     # body = (i*M + A) mod 10^k,
my ($M2, $A2) = (31_415_926_537, int(rand() * 100_000_000_000));   # M coprime to 10 => bijection

# A second affine step after swapping the halves hides the arithmetic
# progression; each step is a bijection, so the bodies stay unique.
# Every product stays below 2**63 (i < 5e7), so Perl keeps exact integers.
sub resident_code {
    my $b = ($_[0] * $M1 + $A1) % 10_000_000_000;
    $b = (($b % 100_000) * 100_000 + int($b / 100_000)) * 98_765_431 % 10_000_000_000;
    sprintf '%010d%d', $b, resident_cd($b);
}
sub individual_number {
    my $b = ($_[0] * $M2 + $A2) % 100_000_000_000;
    $b = (($b % 100_000) * 1_000_000 + int($b / 100_000)) * 76_543_213 % 100_000_000_000;
    sprintf '%011d%d', $b, mynumber_cd($b);
}
sub pick { $_[0][int(rand(@{ $_[0] }))] }
sub surname_idx { my $r = rand(); int($r * $r * @SURNAME) }    # skewed towards common names
sub given_name {
    my ($sex, $year) = @_;
    my $g = $year < 1950 ? 0 : $year < 1975 ? 1 : $year < 2000 ? 2 : 3;
    my $r = rand();                                             # blur generations a little
    $g-- if $r < 0.1 && $g > 0;
    $g++ if $r > 0.9 && $g < 3;
    $sex = rand() < 0.5 ? '1' : '2' if $sex ne '1' && $sex ne '2';
    return pick(($sex eq '1' ? \@MALE : \@FEMALE)->[$g]);
}
sub zen { my $s = shift; $s =~ tr/0-9/０-９/; $s }

my ($hh_left, $hh_sur, $hh_addr) = (0);
# Returns the 13 fields of resident $i plus its age; consumes rand() in a fixed order.
sub gen_resident {
    my $i = shift;
    if ($hh_left == 0) {        # new household: 1-5 people, one surname, one address
        $hh_left = $HHSIZE[int(rand(@HHSIZE))];
        $hh_sur  = surname_idx();
        my $banchi = 1 + int(rand(400));
        $banchi .= '番地' . (rand() < 0.3 ? 'の' . (1 + int(rand(20))) : '');
        $hh_addr = '宮城県刈田郡七ヶ宿町字' . $AREA[int(rand(@AREA))] . zen($banchi);
    }
    $hh_left--;
    my $age   = $AGE_LUT[int(rand(10000))];
    my $birth = $TODAY - int(($age + rand()) * 365.2425);
    my $bstr  = ds($birth);

    my $r = rand();
    my $sex = $r < 0.001 ? '0' : $r < 0.0015 ? '9'
            : rand() < ($age >= 80 ? 0.62 : $age >= 65 ? 0.54 : 0.49) ? '2' : '1';
    my ($fam, $given) = ($SURNAME[$hh_sur], given_name($sex, substr($bstr, 0, 4)));
    my $former = '\N';
    if ($sex eq '2' && $age >= 20 && rand() < 0.08) {
        my $k = surname_idx();
        $k = ($k + 1) % @SURNAME if $k == $hh_sur;
        $former = $SURNAME[$k][0];
    }
    my $alias = '\N';
    if (rand() < 0.01) {        # 通称: another family name with the same given name
        my $other = $SURNAME[(surname_idx() + 7) % @SURNAME];
        $alias = rand() < 0.5 ? "$other->[0]\x{3000}$given->[0]" : "$other->[1]\x{3000}$given->[1]";
    }

    my ($reason, $when, $status) = ('', 0, 'active');
    my $lo = $birth > $TODAY - 7305 ? $birth : $TODAY - 7305;          # moves: last ~20 years
    $r = rand();
    if ($r < 0.04) {
        $status = 'removed';
        $reason = rand() < ($age >= 65 ? 0.85 : 0.1) ? 'death' : 'move_out';
        $lo = $TODAY - 3652 if $lo < $TODAY - 3652;                      # within ~10 years
    } elsif ($birth >= $JUKI) {
        $r = rand();
        $reason = $r < 0.75 ? 'birth' : $r < 0.9 ? 'move_in' : $r < 0.99 ? 'move_within' : 'ex_officio_correction';
    } else {
        $r = rand();
        $reason = $r < 0.8 ? 'initial_registration' : $r < 0.9 ? 'move_in'
                : $r < 0.995 ? 'move_within' : 'ex_officio_correction';
    }
    $when = $reason eq 'birth' ? $birth
          : $reason eq 'initial_registration' ? ($birth > $JUKI_CLAMPED ? $birth : $JUKI_CLAMPED)
          : $lo + int(rand($TODAY - $lo + 1));

    return ([resident_code($i), individual_number($i), "$fam->[0]\x{3000}$given->[0]",
             "$fam->[1]\x{3000}$given->[1]", $former, $alias, $bstr, $sex, $hh_addr, $MUNI,
             $reason, ds($when), $status], $age);
}

# ---------------------------------------------------------------- output
binmode STDOUT, ':encoding(UTF-8)';
if ($opt{table} eq 'residents') {
    for my $i (0 .. $N - 1) {
        my ($row) = gen_resident($i);
        print join("\t", @$row), "\n";
    }
    exit 0;
}

# measures: regenerate the same residents, remember the active ones (packed
# index + age), then draw ~0.3% of them without replacement.
my $active = '';
for my $i (0 .. $N - 1) {
    my ($row, $age) = gen_resident($i);
    $active .= pack 'NN', $i, $age if $row->[12] eq 'active';
}
my $n_active = length($active) / 8;
my $k = int($n_active * 0.003 + 0.5);
$k = 2 if $k < 2 && $N >= 100;
$k = 1 if $k < 1;
$k = $n_active if $k > $n_active;
my @chosen;
for my $j (0 .. $k - 1) {       # partial Fisher-Yates on the packed array
    my $p = $j + int(rand($n_active - $j));
    my ($pj, $pp) = (substr($active, 8 * $j, 8), substr($active, 8 * $p, 8));
    substr($active, 8 * $j, 8, $pp);
    substr($active, 8 * $p, 8, $pj);
    my ($i, $age) = unpack "NN", $pp;
    my $start = $j == 0 && $k >= 3
        ? $TODAY - 367 - int(rand(180))          # one measure that has already expired
        : $TODAY - int(rand(365));               # otherwise started within the last year
    my ($y, $m, $d) = civil_from_days($start);
    my $end = ($m == 2 && $d == 29 ? days_from_civil($y + 1, 3, 1) : days_from_civil($y + 1, $m, $d)) - 1;
    my $note = $age < 18 ? $NOTE_CHILD : rand() < 0.7 ? $NOTE_DV : $NOTE_STALK;
    push @chosen, [$i, join("\t", resident_code($i), ds($start), ds($end), $note)];
}
print "$_->[1]\n" for sort { $a->[0] <=> $b->[0] } @chosen;
