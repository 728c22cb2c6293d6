#!/usr/bin/perl
# Legacy V1 checkpoints, real and generated (mkckpt's v1/ set), through the commands:
#  - every V1 fixture: `show --stats` gives the min/max/mean EXPECTED.jsonl records, `verify`
#    passes, `subset -o` upgrades it to V2 and `diff` finds the two identical;
#  - the generated V1 files of every dtype, slices and shards: list/verify/diff against
#    their V2 upgrade; broken ones exit 2 with the file named.
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok done $ckpt $bin $fix shq run);

my $tmp = tempdir('ckpt-v1.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $seq = 0;

sub close_to {
	my ($a, $b, $tol) = @_;
	my $m = abs($a) > abs($b) ? abs($a) : abs($b);
	$m = 1 if $m < 1;
	return abs($a - $b) <= $tol * $m;
}

# Upgrade to V2 and compare: every tensor identical, same count.
sub upgrade_and_diff {
	my ($path, $name) = @_;
	my $out = "$tmp/up-" . ++$seq;
	my ($rc, $msg) = run($ckpt, 'subset', '-o', shq($out), shq($path));
	ok($rc == 0, "subset upgrades $name to V2", $msg);
	my ($rc2, $list) = run($ckpt, 'list', '--json', shq($out));
	ok($rc2 == 0 && decode_json($list)->{format} eq 'v2', "$name: the copy is V2", $list);
	my ($rc3, $d) = run($ckpt, 'diff', shq($path), shq($out));
	ok($rc3 == 0 && $d !~ /changed|only in/, "$name: diff with its V2 copy finds nothing", $d);
	my ($rc4, $v) = run($ckpt, 'verify', shq($out));
	ok($rc4 == 0, "$name: the V2 copy verifies", $v);
}

if (-f "$fix/EXPECTED.jsonl") {
	open(my $fh, '<', "$fix/EXPECTED.jsonl") or die "$fix/EXPECTED.jsonl: $!";
	while (my $line = <$fh>) {
		my $exp = decode_json($line);
		next unless $exp->{format} eq 'V1';
		my $path = "$fix/$exp->{prefix}";
		my ($rc, $out) = run($ckpt, 'show', '--stats', '--json', '--match', '.', shq($path));
		if ($rc != 0) {
			ok(0, "show --stats $exp->{prefix}", $out);
			next;
		}
		my %got = map { $_->{name} => $_ } @{ decode_json($out) };
		my @diff;
		for my $t (@{ $exp->{tensors} }) {
			my $g = $got{ $t->{key} };
			if (!$g) { push @diff, "missing $t->{key}"; next; }
			for my $k (qw(min max mean)) {
				push @diff, "$t->{key}: $k $g->{stats}{$k} != $t->{$k}"
					unless close_to($g->{stats}{$k}, $t->{$k}, 1e-7);  # show prints 8 digits
			}
		}
		ok(!@diff && keys(%got) == @{ $exp->{tensors} }, "values of $exp->{prefix}", @diff);
		my ($rcv, $v) = run($ckpt, 'verify', shq($path));
		ok($rcv == 0, "verify $exp->{prefix}", $v);
		upgrade_and_diff($path, $exp->{prefix});
	}
	close($fh);

	# A flipped byte inside a data block: exit 2, one line naming the file.
	my $src = "$fix/jonholifield+tensorflow_mechanics_101/data/checkpoint-999";
	if (-f $src) {
		open(my $in, '<:raw', $src) or die;
		local $/;
		my $bytes = <$in>;
		close($in);
		substr($bytes, 100000, 1) = chr(ord(substr($bytes, 100000, 1)) ^ 0x40);
		open(my $o, '>:raw', "$tmp/corrupt") or die;
		print $o $bytes;
		close($o);
		for my $cmd (['list'], ['show', '--stats', '--match', '.']) {
			my ($rc, $msg) = run($ckpt, @$cmd, shq("$tmp/corrupt"));
			ok($rc == 2 && $msg =~ m{\Ackpt: $cmd->[0]: \Q$tmp/corrupt\E: .*checksum mismatch[^\n]*\n\z},
			   "corrupt V1 file: $cmd->[0] exits 2 with one line naming it", "exit $rc: $msg");
		}
		my ($rc, $msg) = run($ckpt, 'verify', shq("$tmp/corrupt"));
		ok($rc != 0 && $msg =~ /checksum mismatch/, "corrupt V1 file: verify fails", "exit $rc: $msg");
	}
} else {
	print "# no fixtures at $fix\n";
}

# Generated V1 files.
my ($rc, $msg) = run("$bin/mkckpt", 'v1', shq($tmp));
ok($rc == 0, 'mkckpt v1', $msg);
for my $p ('v1/dtypes', 'v1/sliced', 'v1/sharded', 'v1/sharded/model-00001-of-00002') {
	my ($rcl, $l) = run($ckpt, 'list', '--json', shq("$tmp/$p"));
	my $j = $rcl == 0 ? decode_json($l) : {};
	ok($rcl == 0 && $j->{format} eq 'v1', "list $p says v1", $l);
	my ($rcv, $v) = run($ckpt, 'verify', shq("$tmp/$p"));
	ok($rcv == 0, "verify $p", $v);
	upgrade_and_diff("$tmp/$p", $p);
}
for my $case (['missing', 'lost', 'a stored slice is missing'],
	      ['count', 'short', 'holds 3 float_val values, its shape needs 4'],
	      ['gap', 'half', 'hold 2 of its 4 elements']) {
	my ($file, $name, $what) = @$case;
	my ($rcs, $s) = run($ckpt, 'show', shq("$tmp/v1/bad/$file"), $name);
	ok($rcs == 2 && $s =~ /^ckpt: show: \Q$tmp\E\/v1\/bad\/$file: .*"$name".*\Q$what\E/m,
	   "bad/$file: show exits 2 saying why", "exit $rcs: $s");
	my ($rcv, $v) = run($ckpt, 'verify', shq("$tmp/v1/bad/$file"));
	ok($rcv != 0, "bad/$file: verify fails", "exit $rcv: $v");
}

done();
