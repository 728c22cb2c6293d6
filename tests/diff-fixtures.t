#!/usr/bin/perl
# ckpt diff over the real fixtures: every complete V2 checkpoint equals itself (exit 0), every
# index-only one fails with exit 2 naming its data file, and epochs of one run differ (exit 1)
# exactly in the name sets EXPECTED.jsonl implies, with numbers that hang together.
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);
use lib dirname(__FILE__) . '/lib';
use Tap qw(ok done skip_all $ckpt $fix);

skip_all("no fixtures at $fix") unless -f "$fix/EXPECTED.jsonl";

my (%exp, @order);
open my $fh, '<', "$fix/EXPECTED.jsonl" or die "$fix/EXPECTED.jsonl: $!\n";
while (<$fh>) {
	my $j = decode_json($_);
	next unless $j->{format} eq 'V2';
	$exp{$j->{prefix}} = $j;
	push @order, $j->{prefix};
}
close $fh;

sub run {
	my (@args) = @_;
	my $cmd = join ' ', map { "'$_'" } $ckpt, 'diff', @args;
	my $out = `cd '$fix' && $cmd 2>/tmp/ckpt-diff-fixtures.$$`;
	my $status = $? >> 8;
	open my $e, '<', "/tmp/ckpt-diff-fixtures.$$";
	local $/;
	my $err = <$e> // '';
	close $e;
	unlink "/tmp/ckpt-diff-fixtures.$$";
	return ($status, $out, $err);
}

# Every V2 fixture against itself.
for my $p (@order) {
	my $x = $exp{$p};
	my ($st, $out, $err) = run('--json', $p, $p);
	if ($x->{complete}) {
		my $j = eval { decode_json($out) } || {};
		my $same = $j->{summary}{identical} // -1;
		ok($st == 0 && $same == @{$x->{tensors}} && $err eq '',
		   "self: $p", "status $st, $same identical of " . scalar(@{$x->{tensors}}), $err);
	} else {
		my @lines = split /\n/, $err;
		ok($st == 2 && $lines[0] =~ /\Q$p\E\.data-\d{5}-of-\d{5}: .*(missing|past the end)/ &&
		   (@lines == 1 || (@lines == 2 && $lines[1] =~ /: \d+ more tensors? could not be read$/)),
		   "self, data missing: exit 2 naming the shard once: $p", "status $st", @lines[0 .. 2]);
	}
}

# Consecutive epochs of one run.
my @series = (
	[ map { "ByeonggeonGo+multi_agent_awac/training_checkpoints/ckpt-$_" } 1 .. 6 ],
	[ map { "FrankCCCCC+rl_collection/results/ckpt_nstep/ckpt-$_" } 1 .. 6 ],
	[ map { "tensorflow+tfx/tfx/components/testdata/trainer/current/Format-Serving/model.ckpt-$_" } 0, 999, 1000 ],
	[ map { "tensorflow+tfx/\@4caa308/tfx/components/testdata/trainer/current/serving_model_dir/model.ckpt-$_" }
	  6993, 7992, 8991, 9990, 10000 ],
	[ map { "deepmodeling+deepmd-kit/\@7efbdf9/model.ckpt-$_" } 5, 10 ],
	[ map { "deepmodeling+deepmd-kit/\@b838038/examples/water_tensor/dipole/model.ckpt-$_" } 5, 10 ],
	[ map { "Lapis-Hong+wide_deep_demo/census_model/model.ckpt-$_" } 1, 2 ],
);

sub shape { join ',', @{$_[0]{shape}} }

my $only_a_seen = 0;
for my $s (@series) {
	for my $i (1 .. $#$s) {
		my ($pa, $pb) = ($s->[$i - 1], $s->[$i]);
		my ($xa, $xb) = ($exp{$pa}, $exp{$pb});
		next unless $xa && $xb && $xa->{complete} && $xb->{complete};
		my %ta = map { $_->{key} => $_ } @{$xa->{tensors}};
		my %tb = map { $_->{key} => $_ } @{$xb->{tensors}};
		my ($st, $out, $err) = run('--json', $pa, $pb);
		my $j = eval { decode_json($out) } || { tensors => [] };
		my %got = map { $_->{name} => $_ } @{$j->{tensors}};
		my @bad;
		for my $k (sort keys %ta, grep { !$ta{$_} } sort keys %tb) {
			my $want = !$tb{$k} ? 'only_in_a' : !$ta{$k} ? 'only_in_b'
				 : ($ta{$k}{dtype} ne $tb{$k}{dtype} || shape($ta{$k}) ne shape($tb{$k}))
				 ? 'not_comparable' : 'changed|identical';
			my $t = $got{$k};
			push @bad, "$k: want $want, got " . ($t ? $t->{status} : 'nothing')
				unless $t && $t->{status} =~ /^($want)$/;
			next unless $t && $t->{status} eq 'changed' && defined $t->{different};
			my $e = $t->{elements};
			push @bad, "$k: different $t->{different} of $e"
				unless $t->{different} > 0 && $t->{different} <= $e;
			next unless exists $t->{mean_abs_diff};
			if (defined $t->{max_abs_diff} && defined $t->{rms_diff}) {
				push @bad, "$k: max $t->{max_abs_diff} < rms $t->{rms_diff} or rms < mean"
					if $t->{max_abs_diff} < $t->{rms_diff} * (1 - 1e-9)
					|| $t->{rms_diff} < $t->{mean_abs_diff} * (1 - 1e-9);
			}
			# NaNs that appear minus those that disappear: B's count minus A's.
			my ($na, $nb) = ($ta{$k}{nan} // 0, $tb{$k}{nan} // 0);
			push @bad, "$k: NaN +$t->{nan_appeared} -$t->{nan_disappeared}, expected net " . ($nb - $na)
				unless $t->{nan_appeared} - $t->{nan_disappeared} == $nb - $na;
		}
		my $sum = $j->{summary} || {};
		my $total = 0;
		$total += $sum->{$_} // 0 for qw(identical changed only_in_a only_in_b not_comparable);
		push @bad, "summary counts $total tensors, listed " . scalar(keys %got) if $total != keys %got;
		push @bad, "unreadable: $sum->{unreadable}" if $sum->{unreadable};
		$only_a_seen += $sum->{only_in_a} // 0;
		ok($st == 1 && !@bad && $err eq '', "epochs: $pa -> " . ($pb =~ s{.*/}{}r), "status $st", @bad[0 .. ($#bad < 5 ? $#bad : 4)], $err);

		# --trust-crc and the table agree on the verdict; -q stops early with the same status.
		my ($st2, $out2) = run('--trust-crc', '--json', $pa, $pb);
		my $j2 = eval { decode_json($out2) } || {};
		my %s2 = map { $_->{name} => $_->{status} } @{$j2->{tensors} || []};
		my @d = grep { ($s2{$_} // '') ne $got{$_}{status} } keys %got;
		ok($st2 == 1 && !@d, "--trust-crc gives the same statuses", @d[0 .. ($#d < 3 ? $#d : 3)]);
		my ($st3, $out3) = run('-q', $pa, $pb);
		ok($st3 == 1 && $out3 eq '', "-q: status 1, no output");
	}
}
ok($only_a_seen > 0, "a series whose variable set changes reports tensors only in A");

# An epoch whose data file is missing: trouble, never "no differences".
my $idx = "AnuragBalsaraf+Mask-Nomask-Detection-With-FasterRCNN-and-SSD-Mobilenet/\@73bb7ed/model.ckpt-150000";
if ($exp{$idx}) {
	my ($st, $out, $err) = run($idx, $idx);
	ok($st == 2 && $err =~ /model\.ckpt-150000\.data-00000-of-00001: data shard 1 of 1 is missing/,
	   "index-only checkpoint: exit 2 naming the missing shard", "status $st", $err);
	($st, $out, $err) = run('--names-only', $idx, $idx);
	ok($st == 0, "index-only checkpoint, --names-only: exit 0 (no data needed)", "status $st", $err);
}

done();
