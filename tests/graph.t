#!/usr/bin/perl
# `ckpt graph` over every .meta and saved_model.pb among the real fixtures: each parses (text
# and JSON); where its checkpoint is present, `--check` finds names, dtypes and shapes match, and
# a restore failing only where a data shard is missing or short (checked by size); known
# models show the inputs and variables they are known to have.
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);
use File::Find;

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok done skip_all $ckpt $fix shq run);

skip_all("no fixtures at $fix") unless -d $fix;

my @files;
find(sub { push @files, $File::Find::name if -f $_ && (/\.meta$/ || $_ eq 'saved_model.pb') }, $fix);
my %json;
for my $f (sort @files) {
	(my $rel = $f) =~ s/^\Q$fix\E\///;
	my ($rc, $out) = run($ckpt, 'graph', shq($f));
	ok($rc == 0 && $out =~ /^inputs \(\d+(; \d+ resource handles? not listed)?\):$/m && $out =~ /^ops \(\d+ nodes/m, "graph $rel",
	   "exit $rc: " . substr($out, 0, 300));
	my ($rcj, $j) = run($ckpt, 'graph', '--json', shq($f));
	my $doc = eval { decode_json($j) };
	ok($rcj == 0 && $doc && @{ $doc->{meta_graphs} } >= 1, "graph --json $rel", "exit $rcj: $@");
	$json{$rel} = $doc;
	# The checkpoint that goes with it, if it is here.
	my $ck;
	if ($f =~ /^(.*)\.meta$/) {
		my $p = $1;
		$ck = $p if -f "$p.index" || -f $p || glob("$p-?????-of-?????");
	} elsif (-f dirname($f) . '/variables/variables.index') {
		$ck = dirname($f);
	}
	next unless $ck;
	my ($rcc, $c) = run($ckpt, 'graph', '--check', shq($ck), shq($f));
	# Names, dtypes and shapes match everywhere; where a data shard was never committed, the
	# restore still fails, and --check says so (by stat: it reads no data).
	if (bad_shards($ck)) {
		ok($rcc == 1 && $c =~ /^a restore would fail: data shard \d+ of \d+ (missing|too short) .*names, dtypes and shapes of all \d+ keys match$/m,
		   "graph --check $rel: a data shard missing or short", "exit $rcc: $c");
	} else {
		ok($rcc == 0 && $c =~ /^names, dtypes and shapes match: the checkpoint holds all \d+ keys/m &&
		   $c =~ /^data not read: .*\(run ckpt verify/m, "graph --check $rel", "exit $rcc: $c");
	}
}
ok(@files >= 40, scalar(@files) . " graph files found");

# How many data shards of a V2 prefix are missing or shorter than the payloads `ckpt list --json`
# places in them (the end of the last one), by stat: what `graph --check` must find.
sub bad_shards {
	my $p = shift;
	$p = "$p/variables/variables" if -d $p;
	return 0 unless -f "$p.index";
	my ($rc, $out) = run($ckpt, 'list', '--json', shq($p));
	my $doc = $rc == 0 ? eval { decode_json($out) } : undef;
	return 0 unless $doc && $doc->{num_shards};
	my %need;
	for my $t (@{ $doc->{tensors} }) {
		next unless defined $t->{shard} && $t->{bytes};
		my $end = $t->{offset} + $t->{bytes};
		$need{ $t->{shard} } = $end if !defined $need{ $t->{shard} } || $end > $need{ $t->{shard} };
	}
	return scalar grep {
		my $f = sprintf("%s.data-%05d-of-%05d", $p, $_, $doc->{num_shards});
		!-f $f || -s $f < $need{$_};
	} keys %need;
}

# Known models.
sub vars_of { my $m = shift; return join(',', sort map { $_->{name} } @{ $m->{variables} }); }
sub inputs_of { my $m = shift; return join(',', sort map { $_->{tensor} } @{ $m->{inputs} }); }
my $sb = 'tensorflow+serving/tensorflow_serving/session_bundle/testdata/half_plus_two/00000123/export.meta';
if (my $d = $json{$sb}) {
	my $m = $d->{meta_graphs}[0];
	my @restored = sort map { $_->{key} } @{ $m->{restores} };
	ok("@restored" eq 'a b', "half_plus_two restores a and b", "@restored");
	ok(vars_of($m) =~ /^a,asset_path,b,/, "half_plus_two variables", vars_of($m));
	ok(inputs_of($m) eq 'tf_example:0', "half_plus_two input", inputs_of($m));
	ok($m->{tensorflow_version} eq '0.12.head', "half_plus_two TF version");
	ok($m->{saver}{version} eq 'V1', "half_plus_two saver writes V1");
}
my $cpu = 'tensorflow+serving/tensorflow_serving/servables/tensorflow/testdata/saved_model_half_plus_two_cpu/00000123/saved_model.pb';
if (my $d = $json{$cpu}) {
	my $m = $d->{meta_graphs}[0];
	my $sig = $m->{signatures}{serving_default};
	ok($sig && $sig->{inputs}{x}{tensor} eq 'x:0' && $sig->{outputs}{y}{tensor} eq 'y:0' &&
	   join(',', map { defined $_ ? $_ : '?' } @{ $sig->{inputs}{x}{shape} }) eq '?,1',
	   "half_plus_two_cpu: serving_default x:0 [?,1] -> y:0");
	ok(vars_of($m) eq 'a,a2,b,c,c2,filename_tensor', "half_plus_two_cpu variables", vars_of($m));
	ok("@{ $m->{tags} }" eq 'serve', "half_plus_two_cpu tags");
}
my $mech = 'jonholifield+tensorflow_mechanics_101/data/checkpoint-999.meta';
if (my $d = $json{$mech}) {
	my $m = $d->{meta_graphs}[0];
	my %v = map { $_->{name} => $_ } @{ $m->{variables} };
	ok($v{'hidden1/weights'} && "@{ $v{'hidden1/weights'}{shape} }" eq '784 128' &&
	   $v{'hidden1/weights'}{trainable} && !$v{global_step}{trainable},
	   "mechanics_101: hidden1/weights [784,128] trainable, global_step not");
	ok(inputs_of($m) eq 'Placeholder:0,Placeholder_1:0', "mechanics_101 inputs", inputs_of($m));
	ok(!defined $m->{tensorflow_version}, "mechanics_101 has no TF version");
}
my $tf2 = 'tensorflow+serving/tensorflow_serving/servables/tensorflow/testdata/saved_model_half_plus_two_tf2_cpu/00000123/saved_model.pb';
if (my $d = $json{$tf2}) {
	my $m = $d->{meta_graphs}[0];
	my @keys = sort map { $_->{key} } @{ $m->{restores} };
	ok(@keys == 4 && (grep { $_ eq '_CHECKPOINTABLE_OBJECT_GRAPH' } @keys) &&
	   (grep { m{/\.ATTRIBUTES/VARIABLE_VALUE$} } @keys) == 3,
	   "TF2 SavedModel: restore keys found inside its functions", "@keys");
	ok($m->{tensorflow_version} eq '2.14.0', "TF2 SavedModel version");
}

# The same graph through each way of naming it.
my $dir = "$fix/tensorflow+serving/tensorflow_serving/session_bundle/testdata/half_plus_two/00000123";
for my $arg ("$dir/export-00000-of-00001", "$dir/export.meta", "$dir/export-?????-of-00001") {
	my ($rc, $out) = run($ckpt, 'graph', '--json', shq($arg));
	my $doc = $rc == 0 ? decode_json($out) : {};
	ok($rc == 0 && $doc->{path} =~ m{/export\.meta$}, "graph finds export.meta from $arg", $out);
}

done();
