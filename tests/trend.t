#!/usr/bin/perl
# ckpt trend over mkckpt's "trendrun" (five checkpoints): every norm, relative change and
# NaN/Inf count of --json checked against values computed here from the definitions, from the
# tensors as mkckpt writes them (its comment): the L2 norm of the finite values, and
# ||b - a|| / ||a|| over the pairs where both values are finite (as `ckpt diff`); a tensor
# appearing later has nulls before; a shape change is not compared; --by-scope is the same
# definition over the scope's tensors as one vector; --last N keeps the newest N.
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok done $ckpt $bin shq run);

my $tmp = tempdir("ckpt-trend.XXXXXX", TMPDIR => 1, CLEANUP => 1);
system("$bin/mkckpt trendrun " . shq($tmp) . " >/dev/null") == 0 or die "mkckpt failed";
my $run = "$tmp/trendrun";

# The tensors of checkpoint k (0..4), undef where absent.
my $inf = 9**9**9;
my $nan = -sin($inf);
sub tensors {
	my $k = shift;
	my %t;
	$t{'dense/kernel'} = [map { $_ * (1 + $k / 4) } 1 .. 6];
	$t{'dense/bias'} = [0.5, -0.5, 1];
	$t{'emb'} = [1 .. ($k >= 3 ? 6 : 4)];
	my @h = map { $_ + $k } 1 .. 4;
	$h[0] = $nan if $k >= 3;
	$h[3] = $inf if $k == 4;
	$t{'head/w'} = \@h;
	$t{'late/w'} = [3 * (1 + ($k - 2) / 2), 4 * (1 + ($k - 2) / 2)] if $k >= 2;
	my @big = map { $_ < 2**18 ? ($_ % 7) / 4 : ($_ % 5) / 2 + $k / 4 } 0 .. 299999;
	$big[5] = $nan;
	$t{'big/w'} = \@big;
	return \%t;
}
sub finite { my $x = shift; return $x == $x && $x != $inf && $x != -$inf }
sub norm { my $s = 0; $s += $_ * $_ for grep { finite($_) } @{$_[0]}; return sqrt($s) }
# (sum of squared differences, sum of a squared) over the finite pairs
sub pair_sums {
	my ($a, $b) = @_;
	my ($d, $s) = (0, 0);
	for my $i (0 .. $#$a) {
		next unless finite($a->[$i]) && finite($b->[$i]);
		$d += ($b->[$i] - $a->[$i])**2;
		$s += $a->[$i]**2;
	}
	return ($d, $s);
}
sub rel { my ($d, $s) = @_; return $s > 0 ? sqrt($d) / sqrt($s) : $d > 0 ? $inf : 0 }
sub close_to {
	my ($got, $want) = @_;
	return !defined $got if !defined $want;
	return defined $got && abs($got - $want) <= 1e-12 * (abs($want) > 1 ? abs($want) : 1);
}
sub same_series {
	my ($got, $want) = @_;
	return 0 unless ref $got eq 'ARRAY' && @$got == @$want;
	close_to($got->[$_], $want->[$_]) || return 0 for 0 .. $#$want;
	return 1;
}
sub show { return join(", ", map { defined $_ ? $_ : "null" } @{$_[0]}) }

my @ck = map { tensors($_) } 0 .. 4;
my ($st, $out) = run("$ckpt trend --json " . shq($run) . " 2>/dev/null");
ok($st == 1, "exit 1: the newest checkpoint holds NaN and Inf", "exit $st");
my $j = eval { decode_json($out) };
ok($j, "--json parses", $out);
ok(join(" ", map { $_->{step} } @{$j->{checkpoints}}) eq "100 200 300 400 500",
   "checkpoints oldest first, steps from global_step");
ok(join(" ", map { $_->{prefix} =~ s/.*\///r } @{$j->{checkpoints}}) eq
   join(" ", map { "model.ckpt-${_}00" } 1 .. 5), "prefixes in step order");
my %got = map { $_->{name} => $_ } @{$j->{tensors}};
for my $name (sort keys %{$ck[4]}) {
	my (@norm, @rel, @nan, @inf);
	for my $k (0 .. 4) {
		my $v = $ck[$k]{$name};
		push @norm, $v ? norm($v) : undef;
		push @nan, $v ? scalar(grep { $_ != $_ } @$v) : undef;
		push @inf, $v ? scalar(grep { $_ == $inf || $_ == -$inf } @$v) : undef;
		next unless $k;
		my $a = $ck[$k - 1]{$name};
		push @rel, $a && $v && @$a == @$v ? rel(pair_sums($a, $v)) : undef;
	}
	my $g = $got{$name} || {};
	ok(same_series($g->{norm}, \@norm), "$name: norms", "got " . show($g->{norm} || []),
	   "want " . show(\@norm));
	ok(same_series($g->{rel_change}, \@rel), "$name: relative changes",
	   "got " . show($g->{rel_change} || []), "want " . show(\@rel));
	ok(same_series($g->{nan}, \@nan) && same_series($g->{inf}, \@inf), "$name: NaN/Inf counts",
	   "got " . show($g->{nan} || []) . " / " . show($g->{inf} || []));
}
ok(join(",", @{$got{emb}{shape} || []}) eq "6", "a changed shape is the newest one");
ok($got{global_step} && join(" ", @{$got{global_step}{value}}) eq "100 200 300 400 500",
   "integer scalars: their values");
ok(join(" ", map { $_->{name} } @{$j->{tensors}}) eq
   "late/w head/w dense/kernel big/w dense/bias emb global_step",
   "sorted by the latest relative change, counters last");

# --by-scope: dense/ is dense/kernel and dense/bias as one vector
($st, $out) = run("$ckpt trend --json --by-scope " . shq($run) . " 2>/dev/null");
$j = eval { decode_json($out) } || {};
my ($scope) = grep { $_->{name} eq 'dense/' } @{$j->{tensors} || []};
my (@norm, @rel);
for my $k (0 .. 4) {
	my @v = (@{$ck[$k]{'dense/kernel'}}, @{$ck[$k]{'dense/bias'}});
	push @norm, norm(\@v);
	next unless $k;
	my @a = (@{$ck[$k - 1]{'dense/kernel'}}, @{$ck[$k - 1]{'dense/bias'}});
	push @rel, rel(pair_sums(\@a, \@v));
}
ok($scope && same_series($scope->{norm}, \@norm) && same_series($scope->{rel_change}, \@rel)
   && $scope->{tensors} == 2, "--by-scope: a scope's norm and change as one vector",
   "got " . show($scope ? $scope->{rel_change} : []), "want " . show(\@rel));

# --last 2 and a filter
($st, $out) = run("$ckpt trend --json --last 2 -i '^dense/' " . shq($run) . " 2>/dev/null");
$j = eval { decode_json($out) } || {};
ok($st == 0 && @{$j->{checkpoints} || []} == 2 && $j->{checkpoints}[0]{step} == 400 &&
   join(" ", map { $_->{name} } @{$j->{tensors}}) eq "dense/kernel dense/bias",
   "--last 2 -i '^dense/': the newest two, those tensors, exit 0", $out);
ok(close_to($j->{tensors}[0]{rel_change}[0], 0.25 / (1 + 3 / 4)), "--last 2: the one change");

# prefixes given, oldest first as given
($st, $out) = run("$ckpt trend --json " . join(" ", map { shq("$run/model.ckpt-${_}00") } 1, 3)
		  . " 2>/dev/null");
$j = eval { decode_json($out) } || {};
my ($k) = grep { $_->{name} eq 'dense/kernel' } @{$j->{tensors} || []};
ok($k && close_to($k->{rel_change}[0], 0.5), "two prefixes: their change (1 -> 1.5)");

# trend and diff agree: each consecutive pair's rel_change is diff --json's.
($st, $out) = run("$ckpt trend --json " . shq($run) . " 2>/dev/null");
my $tj = eval { decode_json($out) } || {};
my $agree = 1;
my @why;
for my $k (1 .. 4) {
	my ($ds, $dout) = run("$ckpt diff --json " . shq("$run/model.ckpt-${k}00") . " " .
			      shq("$run/model.ckpt-" . ($k + 1) . "00") . " 2>/dev/null");
	my $dj = eval { decode_json($dout) } || {};
	for my $d (@{$dj->{tensors} || []}) {
		my ($t) = grep { $_->{name} eq $d->{name} } @{$tj->{tensors} || []};
		next unless $t && $t->{dtype} =~ /^float/;
		my ($a, $b) = ($t->{rel_change}[$k - 1], $d->{rel_change});
		next if !defined $a && !defined $b;
		# The same definition, summed in another order over large tensors: equal to 1e-12.
		next if defined $a && defined $b && abs($a - $b) <= 1e-12 * abs($b);
		$agree = 0;
		push @why, "$d->{name} pair $k: trend " . ($a // 'null') . ", diff " . ($b // 'null');
	}
}
ok($agree, "every relative change is the one diff --json reports (to 1e-12)", @why);
done();
