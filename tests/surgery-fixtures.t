#!/usr/bin/perl
# Surgery on every complete real checkpoint in $FIX (ckpt subset / rename / merge):
#   - `subset -o OUT` (copy all): `list --json` of OUT has the input's names, dtypes and shapes
#     (V2: also sizes and CRCs), `verify` passes, LevelDB's table reader reads OUT.index with
#     checksums verified;
#   - a rename that changes nothing rewrites an index TF wrote uncompressed byte for byte;
#   - renaming every key of a TF2 checkpoint keeps its object graph consistent: every
#     checkpoint_key names a tensor of the output;
#   - kill -9 / SIGTERM during a merge leave no file under the final name, no temporary file
#     after SIGTERM, and the inputs untouched.
use strict;
use warnings;
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX qw(:sys_wait_h);
use File::Basename qw(dirname);
use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip done skip_all $ckpt $bin $fix shq run);

my $tmp = tempdir('ckpt-surgery.XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub listing {
	my ($prefix, $full) = @_;
	my ($rc, $out) = run("$ckpt list --json " . shq($prefix));
	return undef if $rc;
	my $j = decode_json($out);
	return join("\n", map {
		my $t = $_;
		join("\t", $t->{name}, $t->{dtype}, join(',', @{$t->{shape}}),
		     $full ? ($t->{bytes}, $t->{crc32c} // '-') : ())
	} @{$j->{tensors}});
}

# Whether TF stored the index (or first data) block Snappy-compressed (type byte after the block).
sub varint { my ($s, $p) = @_; my ($v, $sh) = (0, 0);
	while (1) { my $c = ord(substr($s, $$p++, 1)); $v |= ($c & 0x7f) << $sh; $sh += 7; last unless $c & 0x80 } $v }
sub index_is_snappy {
	my ($f) = @_;
	open(my $h, '<:raw', $f) or return 0;
	local $/;
	my $s = <$h>;
	my $p = length($s) - 48;
	varint($s, \$p); varint($s, \$p);
	my ($off, $size) = (varint($s, \$p), varint($s, \$p));
	return 1 if ord(substr($s, $off + $size, 1)) == 1;
	# The first index entry's value is the first data block's handle.
	$p = $off;
	varint($s, \$p);
	my $nonshared = varint($s, \$p);
	varint($s, \$p);
	$p += $nonshared;
	($off, $size) = (varint($s, \$p), varint($s, \$p));
	return ord(substr($s, $off + $size, 1)) == 1;
}

my $has_verify = (run("$ckpt help verify"))[0] == 0;
my $leveldb = -x "$bin/leveldb_keys" ? "$bin/leveldb_keys" : undef;
my $graphkeys = -x "$bin/graphkeys" ? "$bin/graphkeys" : undef;

open(my $fh, '<', "$fix/EXPECTED.jsonl") or skip_all("no fixtures at $fix");
my $k = 0;
while (my $line = <$fh>) {
	my $d = decode_json($line);
	next if grep { exists $_->{error} } @{$d->{tensors}};  # data missing: nothing to copy
	my $in = "$fix/$d->{prefix}";
	my $v2 = $d->{format} eq 'V2';
	my $name = $d->{prefix};
	my $out = "$tmp/s$k/out";
	my $ren = "$tmp/r$k/out";
	$k++;

	my ($rc, $msg) = run("$ckpt subset --verify-data -o " . shq($out) . " " . shq($in));
	ok($rc == 0, "subset copies $name", $msg);
	next if $rc;
	my ($a, $b) = (listing($in, $v2), listing($out, $v2));
	ok(defined $a && defined $b && $a eq $b,
	   "$name: output lists the same names, dtypes, shapes" . ($v2 ? ", sizes and CRCs" : ""));
	if ($has_verify) {
		($rc, $msg) = run("$ckpt verify " . shq($out));
		ok($rc == 0, "$name: verify passes on the output", $msg);
	} else {
		skip("$name: no verify command yet");
	}
	if ($leveldb) {
		($rc, $msg) = run("$leveldb " . shq("$out.index"));
		my $keys = () = $msg =~ /\n/g;
		ok($rc == 0 && $keys == @{$d->{tensors}} + 1 - ($v2 ? 0 : 0),
		   "$name: LevelDB reads the output index with checksums verified", "rc $rc, $keys keys");
	} else {
		skip("$name: leveldb_keys not built");
	}
	next unless $v2;

	my $snappy = index_is_snappy("$in.index");
	($rc, $msg) = run("$ckpt rename -o " . shq("$ren-same") . " zz_no_such_name=x " . shq($in));
	if ($rc == 0 && !$snappy) {
		ok(system('cmp', '-s', "$in.index", "$ren-same.index") == 0,
		   "$name: a rename that changes nothing rewrites the index byte for byte");
	} elsif ($rc == 0) {
		skip("$name: TF wrote this index with Snappy blocks; ours is uncompressed");
	} else {
		ok(0, "$name: no-op rename", $msg);
	}

	my $tf2 = grep { $_->{key} eq '_CHECKPOINTABLE_OBJECT_GRAPH' } @{$d->{tensors}};
	next unless $tf2 && $graphkeys;
	($rc, $msg) = run("$ckpt rename --add-prefix renamed/ -o " . shq("$ren-tf2") . " " . shq($in));
	ok($rc == 0, "$name: TF2 rename of every key", $msg);
	next if $rc;
	my %have = map { (split /\t/)[0] => 1 } split /\n/, listing("$ren-tf2", 0);
	my @keys = split /\n/, `$graphkeys '$ren-tf2'`;
	my @bad = grep { !$have{$_} } @keys;
	ok(!@bad, "$name: all " . scalar(@keys) . " object-graph keys name output tensors",
	   map { "missing $_" } @bad[0 .. ($#bad < 4 ? $#bad : 4)]);
	ok(!grep({ !/^renamed\// } @keys), "$name: the graph's keys carry the new names");
	if ($has_verify) {
		($rc, $msg) = run("$ckpt verify " . shq("$ren-tf2"));
		ok($rc == 0, "$name: verify passes on the renamed TF2 checkpoint", $msg);
	}
}
close $fh;

# Interrupted merges: a generated input of some size, killed while copying.
if (-x "$bin/mkckpt") {
	my $g = "$tmp/gen";
	system("$bin/mkckpt many '$g' >/dev/null") == 0 or die "mkckpt failed\n";
	my @parts;
	for my $i (0 .. 7) {
		push @parts, '--prefix', "p$i/", "$g/many/ckpt";
	}
	my $before = `cksum '$g/many/ckpt.index' '$g/many/ckpt.data-00000-of-00001'`;
	for my $sig (9, 15) {
		my $o = "$tmp/kill$sig/out";
		my $pid = fork();
		if (!$pid) {
			open(STDOUT, '>', '/dev/null');
			open(STDERR, '>', '/dev/null');
			exec($ckpt, 'merge', '-o', $o, @parts) or exit 127;
		}
		select(undef, undef, undef, 0.02);
		kill($sig, $pid);
		waitpid($pid, 0);
		my $killed = WIFSIGNALED($?);
		if (!$killed) {
			skip("merge finished before signal $sig arrived");
			next;
		}
		ok(!-e "$o.index" && !glob("'$o'.data-*-of-*[0-9]"),
		   "signal $sig during a merge: no file under the final name");
		if ($sig == 15) {
			my @left = glob("$tmp/kill$sig/*tempstate*");
			ok(!@left, "SIGTERM: temporary files removed", "left: @left");
		}
	}
	ok($before eq `cksum '$g/many/ckpt.index' '$g/many/ckpt.data-00000-of-00001'`,
	   "interrupted merges leave the input untouched");
}

done();
