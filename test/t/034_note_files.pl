# verify_log holds the checkpoint notes in juki.checkpoint_directory
# (juki-<origin>-<seq>.note) against the notes stored in
# juki.audit_checkpoint (issue 17), as it does the .checkpoint files: a
# note file altered, removed (its .checkpoint file still there) or added
# without a stored note, or unreadable, is a finding; a file of another
# name is not taken for a note.  The files are changed as someone
# with access to the directory would; the server is not involved.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy;
use JukiNode;

my $node = juki_node('notes', signing => 1);
$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
as_role($node, 'aud', 'SELECT juki.checkpoint()') for 1 .. 3;
my $dir = $node->basedir . '/checkpoints';
my @notes = sort glob("$dir/*.note");
cmp_ok(scalar(@notes), '>=', 3, 'the writer wrote a .note file beside each checkpoint');

sub verify
{
	return split /\|/, as_role($node, 'aud',
		"SELECT ok::text || '|' || coalesce(first_bad_seq::text, '') || '|' || coalesce(problem, '') FROM juki.verify_log()");
}

my ($ok, $bad, $problem) = verify();
is($ok, 'true', 'the note files agree with the stored notes') or diag $problem;

# the seq a file name carries
sub seq_of { my ($f) = @_; my ($s) = $f =~ /-(\d+)\.note$/; return $s + 0; }

# ---- altered: another root in the body ---------------------------------
my $target = $notes[1];
my $orig = slurp_file($target);
(my $altered = $orig) =~ s/^([^\n]+\n\d+\n)(.)/$1 . ($2 eq 'A' ? 'B' : 'A')/e;
isnt($altered, $orig, 'the note file is changed');
open my $fh, '>', $target or die;
print $fh $altered;
close $fh;
($ok, $bad, $problem) = verify();
is($ok, 'false', 'an altered note file: verify_log fails');
like($problem, qr/note file \S+\.note differs from the note stored/, 'altered: the finding names the file');
is($bad, seq_of($target), 'altered: at the note\'s seq');

# ---- removed (its .checkpoint file is still there) -----------------------
unlink $target or die;
($ok, $bad, $problem) = verify();
is($ok, 'false', 'a removed note file: verify_log fails');
like($problem, qr/has its \.checkpoint file .* but no \.note file/, 'removed: the finding says so');
is($bad, seq_of($target), 'removed: at the note\'s seq');

# ---- restored: clean again ---------------------------------------------
open $fh, '>', $target or die;
print $fh $orig;
close $fh;
($ok, undef, $problem) = verify();
is($ok, 'true', 'the note file put back: verify_log passes') or diag $problem;

# ---- extra: a note file no stored note has -------------------------------
my $last = $notes[-1];
(my $extra = $last) =~ s/-(\d+)\.note$/sprintf('-%020d.note', $1 + 1000000)/e;
copy($last, $extra) or die;
($ok, $bad, $problem) = verify();
is($ok, 'false', 'an extra note file: verify_log fails');
like($problem, qr/note file \S+\.note is not in juki\.audit_checkpoint/, 'extra: the finding names the file');
unlink $extra;

# ---- unreadable: shown, not skipped -------------------------------------
chmod 0000, $target or die;
($ok, $bad, $problem) = verify();
chmod 0600, $target or die;
is($ok, 'false', 'a note file the server cannot read: verify_log fails');
like($problem, qr/note file \S+\.note cannot be read/, 'unreadable: the finding says so');
is($bad, seq_of($target), 'unreadable: at the note\'s seq');

# ---- a name juki does not give is not some seq's note -------------------
(my $stray = $last) =~ s/-(\d+)\.note$/-copy.note/;
copy($last, $stray) or die;
($ok, undef, $problem) = verify();
is($ok, 'true', 'a file named otherwise than juki names notes is not judged as a note') or diag $problem;
unlink $stray;

$node->stop;
done_testing();
