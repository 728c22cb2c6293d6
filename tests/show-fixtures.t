#!/usr/bin/perl
# `ckpt show --stats --json` over every real TensorFlow checkpoint in ../shared/fixtures/tf
# (CKPT_FIXTURES), against the values an independent reader found (EXPECTED.jsonl): NaN and
# Inf counts exactly, min and max to 9 significant digits, the mean within a small tolerance.
# Tensors whose data shard is missing or truncated must make `ckpt show` exit 2 with a message
# saying so, and `ckpt verify` exit 1.
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip done skip_all $ckpt $fix shq run);

skip_all("no fixtures at $fix") unless -f "$fix/EXPECTED.jsonl";

sub g9 { my $v = shift; return defined $v ? sprintf('%.9g', $v) : 'null'; }

# Values of narrow float types compare at their own precision: 9 digits identify a float32,
# and our shortest form (0.9) and the reader's (0.899999976) are the same float32.
sub same {
	my ($x, $y, $dtype) = @_;
	return !defined $x && !defined $y if !defined $x || !defined $y;  # all NaN: no min/max
	return unpack('f', pack('f', $x)) == unpack('f', pack('f', $y))
		if $dtype =~ /^(float32|float16|bfloat16)$/;
	return g9($x) eq g9($y);
}

open(my $fh, '<', "$fix/EXPECTED.jsonl") or die "$fix/EXPECTED.jsonl: $!";
while (my $line = <$fh>) {
	my $exp = decode_json($line);
	my $prefix = "$fix/$exp->{prefix}";
	my @good = grep { !exists $_->{error} && $_->{dtype} ne 'string' } @{ $exp->{tensors} };
	my @bad = grep { exists $_->{error} } @{ $exp->{tensors} };
	my ($rc, $out);

	if (@good) {
		# One run for the whole checkpoint: names on the command line, in chunks.
		my %got;
		my $skip;
		for (my $i = 0; $i < @good; $i += 200) {
			my @chunk = @good[$i .. ($i + 199 < $#good ? $i + 199 : $#good)];
			($rc, $out) = run($ckpt, 'show', '--stats', '--json', shq($prefix),
					  map { shq($_->{key}) } @chunk);
			if ($rc != 0 && $exp->{format} eq 'V1' && $out =~ /V1/) {
				$skip = 1;
				last;
			}
			if ($rc != 0) {
				ok(0, "stats $exp->{prefix}", "exit $rc: " . substr($out, 0, 300));
				last;
			}
			my $j = decode_json($out);
			$j = [$j] if ref $j eq 'HASH';
			$got{ $_->{name} } = $_->{stats} for @$j;
		}
		if ($skip) {
			skip("V1 reading not available", $exp->{prefix});
			next;
		}
		next unless %got;
		my @diag;
		for my $t (@good) {
			my $s = $got{ $t->{key} };
			if (!$s) {
				push @diag, "$t->{key}: missing from the output";
				next;
			}
			my $inf = ($s->{posinf} // 0) + ($s->{neginf} // 0);
			push @diag, "$t->{key}: nan $s->{nan} want $t->{nan}" if $s->{nan} != $t->{nan};
			push @diag, "$t->{key}: inf $inf want $t->{inf}" if $inf != $t->{inf};
			for my $k (qw(min max)) {
				push @diag, "$t->{key}: $k " . g9($s->{$k}) . " want " . g9($t->{$k})
					if !same($s->{$k}, $t->{$k}, $t->{dtype});
			}
			if (defined $t->{mean}) {
				my $scale = abs($t->{min}) > abs($t->{max}) ? abs($t->{min}) : abs($t->{max});
				my $tol = 1e-6 * $scale + 1e-7 * abs($t->{mean});
				push @diag, "$t->{key}: mean " . g9($s->{mean}) . " want " . g9($t->{mean})
					if !defined $s->{mean} || abs($s->{mean} - $t->{mean}) > $tol;
			}
		}
		ok(!@diag, "stats of " . scalar(@good) . " tensors: $exp->{prefix}", @diag[0 .. ($#diag < 9 ? $#diag : 9)]);
	}
	if (@bad) {
		my $t = $bad[0];
		($rc, $out) = run($ckpt, 'show', shq($prefix), shq($t->{key}));
		if ($rc != 0 && $exp->{format} eq 'V1' && $out =~ /V1/) {
			skip("V1 reading not available", $exp->{prefix});
			next;
		}
		my @lines = split /\n/, $out;
		ok($rc == 2 && @lines == 1 && $out =~ /^ckpt: show: .*(missing|past the end)/,
		   "unreadable $t->{key} gives exit 2 and one clear line: $exp->{prefix}", "exit $rc: $out");
		($rc, $out) = run($ckpt, 'verify', '-q', shq($prefix));
		ok($rc == 1 && $out =~ /(missing|past the end)/, "verify finds the damage: $exp->{prefix}",
		   "exit $rc: " . substr($out, 0, 300));
	} elsif (!@bad && $exp->{format} eq 'V2') {
		($rc, $out) = run($ckpt, 'verify', '-q', shq($prefix));
		ok($rc == 0 && $out eq '', "verify: $exp->{prefix}", "exit $rc: " . substr($out, 0, 300));
	}
}
done();
