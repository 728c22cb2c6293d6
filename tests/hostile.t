#!/usr/bin/perl
# Hostile names and paths: tensor names holding NUL, '/', '..', newline, tab, ESC sequences,
# backslashes, quotes and invalid UTF-8 must come out escaped (one line per tensor, no raw
# control bytes, valid UTF-8) in tables, TSV, JSON (with name_hex giving the exact bytes),
# values, statistics, verify and diff reports and error messages; subset keeps them byte for
# byte. A state file naming a checkpoint outside its folder is followed, as TensorFlow does,
# and reported; symbolically linked index and data files are followed.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use JSON::PP;
use lib dirname(__FILE__) . '/lib';
use Craft qw(write_index masked_crc f32 spew slurp);
use Tap qw(ok done);

my $root = dirname(dirname(__FILE__));
my $ckpt = $ENV{CKPT} || "$root/ckpt";
my $tmp = tempdir('ckpt-hostile.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($out, $err, $code);
$Tap::context = sub { ("exit $code", 'stdout: ' . substr($out // '', 0, 400), 'stderr: ' . ($err // '')) };

sub run {
	my @argv = @_;
	my $pid = fork // die "fork: $!\n";
	if (!$pid) {
		open(STDOUT, '>', "$tmp/.stdout");
		open(STDERR, '>', "$tmp/.stderr");
		exec('timeout', '-k', '1', '10', $ckpt, @argv) or exit 127;
	}
	waitpid($pid, 0);
	$code = $? & 127 ? 128 + ($? & 127) : $? >> 8;
	$out = slurp("$tmp/.stdout");
	$err = slurp("$tmp/.stderr");
	return $code;
}

# Printable: valid UTF-8 and no control characters but newline (and tab, as a separator).
sub printable {
	my ($s, $tabs_ok) = @_;
	my $copy = $s;
	return 0 unless utf8::decode($copy);
	return $tabs_ok ? $s !~ /[\x00-\x08\x0b-\x1f\x7f]/ : $s !~ /[\x00-\x09\x0b-\x1f\x7f]/;
}

my @names = ("a\0b", "a/../b", "../up", "/abs", "new\nline", "cr\rhere", "tab\there",
	     "esc\e[31mred", "bad\xff\xfeutf8", "back\\slash", "quote\"d", "trail\n", ".",
	     "del\x7f", "plain");
my $N = @names;
make_path("$tmp/h");
my ($data, @entries) = ('');
for my $i (0 .. $#names) {
	my $bytes = f32($i + 0.5);
	push @entries, [$names[$i], { dtype => 1, dims => [1], offset => length $data, size => 4,
				      crc => masked_crc($bytes) }];
	$data .= $bytes;
}
write_index("$tmp/h/ckpt", 1, @entries);
spew("$tmp/h/ckpt.data-00000-of-00001", $data);

run('list', "$tmp/h/ckpt");
my @rows = grep { /float32/ } split /\n/, $out;
ok($code == 0 && @rows == $N, "list: one row per tensor ($N)", scalar(@rows) . ' rows');
ok(printable($out), 'list: no raw control bytes, valid UTF-8');
ok($out =~ /new\\x0aline/ && $out =~ /a\\x00b/ && $out =~ /bad\\xff\\xfeutf8/ && $out =~ /back\\\\slash/,
   'list: NUL, newline, invalid UTF-8 and backslash escaped as \\xNN and \\\\');

run('list', '--format', 'tsv', "$tmp/h/ckpt");
@rows = grep { /float32/ } split /\n/, $out;
ok($code == 0 && @rows == $N && printable($out, 1), 'list --format tsv: one line per tensor');

run('list', '--json', "$tmp/h/ckpt");
my $j = $code == 0 ? eval { JSON::PP->new->utf8->decode($out) } : undef;
ok($j && @{ $j->{tensors} } == $N, 'list --json: valid JSON with every tensor');
my %raw;
for my $t (@{ $j ? $j->{tensors} : [] }) {
	my $bytes = defined $t->{name_hex} ? pack('H*', $t->{name_hex}) : do {
		my $s = $t->{name};
		utf8::encode($s);
		$s;
	};
	$raw{$bytes}++;
}
ok(!grep({ !$raw{$_} } @names) && keys(%raw) == $N,
   'list --json: name (or name_hex where escaped) gives back every name exactly',
   'missing: ' . join(', ', map { unpack('H*', $_) } grep { !$raw{$_} } @names));
ok(printable(join '', map { $_->{name} } @{ $j ? $j->{tensors} : [] }),
   'list --json: the name fields themselves hold no control characters');

run('show', '--match', '.', "$tmp/h/ckpt");
ok($code == 0 && printable($out) && $out =~ /new\\x0aline/, 'show --match: names escaped');
ok($out =~ /14\.5/, 'show --match: the values are all there');
run('show', '--stats', '--match', '.', "$tmp/h/ckpt");
@rows = grep { /float32/ } split /\n/, $out;
ok($code == 0 && printable($out) && @rows == $N, 'show --stats: one escaped row per tensor');
run('show', '--json', '--match', '.', "$tmp/h/ckpt");
ok($code == 0 && eval { JSON::PP->new->utf8->decode($out); 1 }, 'show --json: valid JSON');
run('show', "$tmp/h/ckpt", "no\esuch\ntensor");
ok($code == 2 && printable($err) && ($err =~ tr/\n//) == 1, 'show of a hostile missing name: one escaped line');

run('verify', "$tmp/h/ckpt");
ok($code == 0 && printable($out . $err), 'verify: intact, output escaped');

# Break the CRC of the tensor named "new\nline": the report must stay on one escaped line.
my $bad = $data;
substr($bad, 4 * 4, 1) = "\x55";
make_path("$tmp/b");
write_index("$tmp/b/ckpt", 1, @entries);
spew("$tmp/b/ckpt.data-00000-of-00001", $bad);
run('verify', "$tmp/b/ckpt");
ok($code == 1 && printable($out . $err) && ($out . $err) =~ /new\\x0aline/,
   'verify: a bad CRC reported under the escaped name');
run('diff', "$tmp/h/ckpt", "$tmp/h/ckpt");
ok($code == 0, 'diff: identical');
run('diff', "$tmp/h/ckpt", "$tmp/b/ckpt");
ok(($code == 1 || $code == 2) && printable($out . $err), 'diff: the difference reported escaped');

make_path("$tmp/o");
run('subset', '-o', "$tmp/o/ckpt", "$tmp/h/ckpt");
ok($code == 0 && printable($out . $err), 'subset: a copy of every hostile name');
my $before = run('list', '--json', '-l', "$tmp/h/ckpt") == 0 ? $out : 'x';
run('list', '--json', '-l', "$tmp/o/ckpt");
(my $a1 = $before) =~ s/"(path|prefix)":[^\n]*\n//g;
(my $a2 = $out) =~ s/"(path|prefix)":[^\n]*\n//g;
ok($code == 0 && $a1 eq $a2, 'subset: names, bytes and CRCs kept exactly');
run('verify', "$tmp/o/ckpt");
ok($code == 0, 'subset: the copy verifies');

# ---- a state file naming a checkpoint outside its folder ----
make_path("$tmp/s/run", "$tmp/s/elsewhere");
write_index("$tmp/s/elsewhere/model", 1, $entries[-1]);
spew("$tmp/s/elsewhere/model.data-00000-of-00001", $data);
spew("$tmp/s/run/checkpoint", "model_checkpoint_path: \"../elsewhere/model\"\n");
run('list', "$tmp/s/run");
ok($code == 0 && $out =~ /plain/, 'a state file naming ../elsewhere/model is followed, as TF does');
ok($err =~ /outside/ && $err =~ /elsewhere/, 'and that is reported on stderr');
spew("$tmp/s/run/checkpoint", "model_checkpoint_path: \"$tmp/s/elsewhere/model\"\n");
run('list', "$tmp/s/run");
ok($code == 0 && $err =~ /outside/, 'an absolute path outside the folder: followed and reported');
spew("$tmp/s/run/checkpoint", "model_checkpoint_path: \"gone\\033[2J\\n/model\"\n");
run('list', "$tmp/s/run");
ok($code == 2 && printable($err) && ($err =~ tr/\n//) == 1,
   'a state file naming a missing checkpoint with control characters: one escaped line');

# ---- symbolic links: index and data files elsewhere ----
make_path("$tmp/l");
symlink("$tmp/h/ckpt.index", "$tmp/l/m.index") or die "symlink: $!\n";
symlink("$tmp/h/ckpt.data-00000-of-00001", "$tmp/l/m.data-00000-of-00001") or die;
run('verify', "$tmp/l/m");
ok($code == 0, 'verify follows a symlinked index and data shard');
run('show', "$tmp/l/m", 'plain');
ok($code == 0 && $out =~ /14\.5/, 'show reads through a symlinked data shard');
symlink("$tmp/h", "$tmp/l/dir") or die;
run('list', "$tmp/l/dir");
ok($code == 0 && grep({ /float32/ } split /\n/, $out) == $N, 'list through a symlinked folder');

done();
