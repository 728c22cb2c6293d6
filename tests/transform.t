#!/usr/bin/perl
# average / cast / export / import against the outside world:
#  - a .npz written by `ckpt export` opens with NumPy (Debian's python3-numpy), every array with
#    the name, dtype, shape and the very bytes `ckpt show --raw` gives (skipped without NumPy);
#  - every real TensorFlow checkpoint in ../shared/fixtures/tf with its data goes through
#    export -> import (.npz and safetensors) and comes back identical (`ckpt diff`), tensors
#    the format cannot hold excepted;
#  - the TF2 fixtures average, keep a valid object graph, and a checkpoint averaged with
#    itself is itself.
use strict;
use warnings;
use JSON::PP;
use Digest::SHA qw(sha256_hex);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip done $ckpt $bin $fix shq run);

my $tmp = tempdir("ckpt-transform.XXXXXX", TMPDIR => 1, CLEANUP => 1);

system("$bin/mkckpt all " . shq("$tmp/gen") . " >/dev/null") == 0 or die "mkckpt failed";

# ---- NumPy reads what we write ----
my $py;
for my $cand ("python3", "/usr/bin/python3") {
	if (system("$cand -c 'import numpy' >/dev/null 2>&1") == 0) {
		$py = $cand;
		last;
	}
}
if (!$py) {
	skip("no python3 with numpy (make deps installs python3-numpy)");
} else {
	for my $set (["sample/model.ckpt-1000", ""], ["dtypes/ckpt", "-z"], ["partitioned/ckpt", ""],
		     ["names/ckpt", "-z"]) {
		my ($ck, $z) = @$set;
		my $npz = "$tmp/" . ($ck =~ s{/}{_}gr) . ".npz";
		my ($rc, $out) = run("$ckpt export $z --npz " . shq($npz) . " " . shq("$tmp/gen/$ck"));
		ok($rc == 0, "export $z --npz $ck", $out) or next;
		# name, dtype, shape and a digest of the bytes of every array, as NumPy sees them
		my $script = 'import sys, json, hashlib, numpy as np
d = np.load(sys.argv[1])
out = {}
for k in d.files:
    a = d[k]
    out[k] = [a.dtype.str, list(a.shape), hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()]
print(json.dumps(out))';
		($rc, $out) = run("$py -c " . shq($script) . " " . shq($npz));
		ok($rc == 0, "numpy.load opens the .npz of $ck", $out) or next;
		my $np = decode_json($out);
		my $cmd = "$ckpt list --json " . shq("$tmp/gen/$ck");
		my $list = decode_json(scalar qx{$cmd});
		my @bad;
		for my $t (@{$list->{tensors}}) {
			my $name = $t->{name};
			next if $t->{name_hex};  # escaped for display; checked by the round trip
			my $a = $np->{$name};
			if (!$a) {
				push @bad, "$name: not in the archive";
				next;
			}
			push @bad, "$name: shape [@{$a->[1]}], want [@{$t->{shape}}]"
				if "@{$a->[1]}" ne "@{$t->{shape}}";
			# arrays NumPy holds as they are stored must have the same bytes
			next unless $t->{dtype} =~ /^(float(16|32|64)|u?int(8|16|32|64)|bool|complex(64|128))$/;
			my $show = "$ckpt show --raw " . shq("$tmp/gen/$ck") . " " . shq($name);
			my $raw = qx{$show};
			push @bad, "$name: bytes differ" if sha256_hex($raw) ne $a->[2];
		}
		ok(!@bad, "numpy sees every tensor of $ck with its shape and bytes", @bad);
	}
}

# ---- real checkpoints: export -> import is exact ----
# Tensors a format cannot hold (strings in safetensors; names that are not UTF-8) are left
# out with a note; anything else must come back identical.
open(my $fh, '<', "$fix/EXPECTED.jsonl") or done();
my %seen;
my $k = 0;
while (my $line = <$fh>) {
	my $exp = decode_json($line);
	next if grep { exists $_->{error} } @{$exp->{tensors}};  # data files not in the fixture
	my $prefix = "$fix/$exp->{prefix}";
	next if !-f "$prefix.index" || $seen{dirname($prefix)}++;  # one per folder: they look alike
	$k++;
	for my $fmt ("npz", "safetensors") {
		my $file = "$tmp/fix$k.$fmt";
		my ($rc, $out) = run("$ckpt export --$fmt " . shq($file) . " " . shq($prefix));
		if ($rc && $fmt eq "safetensors" && $out =~ /no tensor to export/ &&
		    !grep { $_->{dtype} ne "string" } @{$exp->{tensors}}) {
			ok(1, "export --$fmt $exp->{prefix}: only strings, which safetensors cannot hold");
			next;
		}
		ok($rc == 0, "export --$fmt $exp->{prefix}", $out) or next;
		($rc, $out) = run("$ckpt import -o " . shq("$tmp/back$k$fmt") . " " . shq($file));
		ok($rc == 0, "import $fmt of $exp->{prefix}", $out) or next;
		($rc, $out) = run("$ckpt diff --json " . shq("$tmp/back$k$fmt") . " " . shq($prefix));
		my $d = eval { decode_json($out) };
		my @bad;
		for my $t (@{$d ? $d->{tensors} : []}) {
			next if $t->{status} eq "identical";
			next if $t->{status} eq "only_in_b" && $fmt eq "safetensors" && $t->{dtype} eq "string";
			push @bad, "$t->{name}: $t->{status}";
		}
		push @bad, "diff failed: $out" if !$d;
		ok(!@bad, "$fmt round trip of $exp->{prefix} is exact", @bad);
	}
}
close($fh);

# ---- averaging real TF2 checkpoints ----
my $awac = "$fix/ByeonggeonGo+multi_agent_awac/training_checkpoints";
if (-f "$awac/ckpt-3.index") {
	my ($rc, $out) = run("$ckpt average --json -o " . shq("$tmp/avg") . " " .
			     join(" ", map { shq("$awac/ckpt-$_") } 1 .. 3));
	ok($rc == 0, "average of three TF2 checkpoints", $out);
	my $s = eval { decode_json($out) } || {};
	ok(($s->{optimizer_left_out} // 0) > 0 && ($s->{object_graph_keys_removed} // -1) ==
	   $s->{optimizer_left_out}, "optimizer state left out, and its keys gone from the object graph",
	   $out);
	($rc, $out) = run("$ckpt verify " . shq("$tmp/avg"));
	ok($rc == 0, "the average verifies", $out);
	($rc, $out) = run("$ckpt show --object-graph --json " . shq("$tmp/avg"));
	my @dangling;
	my $g = eval { decode_json($out) };
	my $cmd = "$ckpt list --json " . shq("$tmp/avg");
	my %have = map { $_->{name} => 1 } @{decode_json(scalar qx{$cmd})->{tensors}};
	if ($g) {
		my $walk;
		$walk = sub {
			my $x = shift;
			if (ref $x eq 'HASH') {
				push @dangling, $x->{checkpoint_key}
					if defined $x->{checkpoint_key} && !$have{$x->{checkpoint_key}};
				$walk->($_) for values %$x;
			} elsif (ref $x eq 'ARRAY') {
				$walk->($_) for @$x;
			}
		};
		$walk->($g);
	}
	ok($g && !@dangling, "every key the averaged object graph names is in the checkpoint",
	   $g ? @dangling : $out);
	($rc, $out) = run("$ckpt average --keep-optimizer -o " . shq("$tmp/self") . " " .
			  join(" ", map { shq("$awac/ckpt-2") } 1 .. 3));
	($rc, $out) = run("$ckpt diff " . shq("$tmp/self") . " " . shq("$awac/ckpt-2")) if $rc == 0;
	ok($rc == 0, "a checkpoint averaged with itself is itself", $out);
}

done();
