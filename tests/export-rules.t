#!/usr/bin/perl
# export --preset / --rules: the names a google-research/bert checkpoint and a mesh-TF T5
# checkpoint get are exactly Hugging Face's (BertForPreTraining, T5ForConditionalGeneration;
# the tables below are written from transformers' load_tf_weights_in_bert/_t5 and the models'
# state_dict keys, not from ckpt's output), every value equals the source's with the transpose
# applied, casts give the dtype asked, a wrong preset writes nothing, and bad rules are
# reported as FILE:LINE.
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip done $ckpt $bin $fix shq run);

# The presets of this tree, wherever the binary under test was built.
$ENV{CKPT_PRESETS} //= dirname(__FILE__) . '/../presets';

my $tmp = tempdir("ckpt-rules.XXXXXX", TMPDIR => 1, CLEANUP => 1);
system("$bin/mkckpt presets " . shq("$tmp/gen") . " >/dev/null") == 0 or die "mkckpt failed";
my $bert = "$tmp/gen/presets/bert/bert_model.ckpt";
my $t5 = "$tmp/gen/presets/t5/model.ckpt-1000";

# HF name => [TF name, transposed]
my %bert = (
	"bert.embeddings.word_embeddings.weight" => ["bert/embeddings/word_embeddings", 0],
	"bert.embeddings.position_embeddings.weight" => ["bert/embeddings/position_embeddings", 0],
	"bert.embeddings.token_type_embeddings.weight" => ["bert/embeddings/token_type_embeddings", 0],
	"bert.embeddings.LayerNorm.weight" => ["bert/embeddings/LayerNorm/gamma", 0],
	"bert.embeddings.LayerNorm.bias" => ["bert/embeddings/LayerNorm/beta", 0],
	"bert.pooler.dense.weight" => ["bert/pooler/dense/kernel", 1],
	"bert.pooler.dense.bias" => ["bert/pooler/dense/bias", 0],
	"cls.predictions.bias" => ["cls/predictions/output_bias", 0],
	"cls.predictions.transform.dense.weight" => ["cls/predictions/transform/dense/kernel", 1],
	"cls.predictions.transform.dense.bias" => ["cls/predictions/transform/dense/bias", 0],
	"cls.predictions.transform.LayerNorm.weight" => ["cls/predictions/transform/LayerNorm/gamma", 0],
	"cls.predictions.transform.LayerNorm.bias" => ["cls/predictions/transform/LayerNorm/beta", 0],
	"cls.seq_relationship.weight" => ["cls/seq_relationship/output_weights", 0],
	"cls.seq_relationship.bias" => ["cls/seq_relationship/output_bias", 0],
);
for my $l (0, 1) {
	for my $m ("attention.self.query", "attention.self.key", "attention.self.value",
		   "attention.output.dense", "intermediate.dense", "output.dense") {
		(my $tf = "bert/encoder/layer_$l/$m") =~ s{\.}{/}g;
		$bert{"bert.encoder.layer.$l.$m.weight"} = ["$tf/kernel", 1];
		$bert{"bert.encoder.layer.$l.$m.bias"} = ["$tf/bias", 0];
	}
	for my $m ("attention.output.LayerNorm", "output.LayerNorm") {
		(my $tf = "bert/encoder/layer_$l/$m") =~ s{\.}{/}g;
		$bert{"bert.encoder.layer.$l.$m.weight"} = ["$tf/gamma", 0];
		$bert{"bert.encoder.layer.$l.$m.bias"} = ["$tf/beta", 0];
	}
}
my %t5 = ("shared.weight" => ["shared/embedding", 0],
	  "encoder.final_layer_norm.weight" => ["encoder/final_layer_norm/scale", 0],
	  "decoder.final_layer_norm.weight" => ["decoder/final_layer_norm/scale", 0]);
for my $s ("encoder", "decoder") {
	my $b = "${s}/block_000";
	my $ff = $s eq "encoder" ? 1 : 2;
	for my $x ("q", "k", "v", "o") {
		$t5{"$s.block.0.layer.0.SelfAttention.$x.weight"} = ["$b/layer_000/SelfAttention/$x", 1];
		$t5{"$s.block.0.layer.1.EncDecAttention.$x.weight"} = ["$b/layer_001/EncDecAttention/$x", 1]
			if $s eq "decoder";
	}
	$t5{"$s.block.0.layer.0.SelfAttention.relative_attention_bias.weight"} =
		["$b/layer_000/SelfAttention/relative_attention_bias", 1];
	for my $k (0 .. $ff) {
		$t5{"$s.block.0.layer.$k.layer_norm.weight"} = ["$b/layer_00$k/layer_norm/scale", 0];
	}
	$t5{"$s.block.0.layer.$ff.DenseReluDense.$_.weight"} = ["$b/layer_00$ff/DenseReluDense/$_/kernel", 1]
		for "wi", "wo";
}

sub read_st {
	my ($path) = @_;
	open(my $f, "<:raw", $path) or return;
	local $/;
	my $all = <$f>;
	my $n = unpack("Q<", substr($all, 0, 8));
	my $h = decode_json(substr($all, 8, $n));
	delete $h->{__metadata__};
	return ($h, substr($all, 8 + $n));
}

sub source {  # [dims], [values] of a float32 tensor as stored
	my ($ck, $name) = @_;
	my $j = decode_json(scalar `$ckpt list --json @{[shq($ck)]}`);
	my ($t) = grep { $_->{name} eq $name } @{$j->{tensors} // $j};
	my $raw = `$ckpt show --raw @{[shq($ck)]} @{[shq($name)]}`;
	return ($t->{shape}, [unpack("f<*", $raw)]);
}

sub check_preset {
	my ($preset, $ck, $want) = @_;
	my $out = "$tmp/$preset.safetensors";
	my ($rc, $msg) = run("$ckpt export --preset $preset --safetensors " . shq($out) . " " . shq($ck));
	ok($rc == 0, "export --preset $preset", $msg) or return;
	my ($h, $data) = read_st($out);
	my @got = sort keys %$h;
	my @exp = sort keys %$want;
	ok("@got" eq "@exp", "$preset: exactly the Hugging Face names", "got @got\nwant @exp");
	my $bad = "";
	for my $name (@exp) {
		next unless $h->{$name};
		my ($tf, $tr) = @{$want->{$name}};
		my ($dims, $v) = source($ck, $tf);
		my $e = $h->{$name};
		my @od = @$dims;
		@od = reverse @od if $tr;
		$bad .= "$name: dtype $e->{dtype}\n" if $e->{dtype} ne "F32";
		$bad .= "$name: shape [@{$e->{shape}}] want [@od]\n" if "@{$e->{shape}}" ne "@od";
		my @o = unpack("f<*", substr($data, $e->{data_offsets}[0],
					     $e->{data_offsets}[1] - $e->{data_offsets}[0]));
		my @x = @$v;
		if ($tr && @$dims == 2) {  # out[j][i] = in[i][j]
			my ($r, $c) = @$dims;
			@x = map { my $j = $_; map { $v->[$_ * $c + $j] } 0 .. $r - 1 } 0 .. $c - 1;
		}
		$bad .= "$name: values differ from $tf" . ($tr ? " transposed" : "") . "\n"
			if join(",", @o) ne join(",", @x);
	}
	ok($bad eq "", "$preset: every value equals the source's, transposed where HF wants it", $bad);
}

check_preset("bert", $bert, \%bert);
check_preset("t5", $t5, \%t5);

# A wrong preset: refused, the list given, nothing written.
{
	my $out = "$tmp/wrong.safetensors";
	my ($rc, $msg) = run("$ckpt export --preset t5 --safetensors " . shq($out) . " " . shq($bert));
	ok($rc == 2 && !-e $out && $msg =~ /no rule accounts for it/ && $msg =~ /t5\.rules:\d+: rule/,
	   "a T5 preset on a BERT checkpoint: exit 2, the list, nothing written", "rc $rc\n$msg");
	($rc, $msg) = run("$ckpt export --preset t5 --partial --safetensors " . shq($out) . " " . shq($bert));
	ok($rc == 0 && -e $out, "--partial writes anyway", $msg);
}

# --rules: cast and explicit axes; values converted by castconv, axes moved.
{
	my $rules = "$tmp/r.rules";
	open(my $f, ">", $rules) or die;
	print $f "# dense kernels only\ndrop optimizer\nkeep ^global_step\$\n",
		"transpose /intermediate/dense/kernel\$ 1,0\ncast /kernel\$ float16\n",
		"optional s,^bert/,,\n";
	close($f);
	my $out = "$tmp/r.safetensors";
	my ($rc, $msg) = run("$ckpt export --rules " . shq($rules) . " --include 'layer_0/intermediate/dense/kernel\$|global_step' --safetensors " . shq($out) . " " . shq($bert));
	ok($rc == 0, "export --rules with cast", $msg);
	my ($h, $data) = read_st($out);
	my $e = $h->{"encoder/layer_0/intermediate/dense/kernel"};
	ok($e && $e->{dtype} eq "F16" && "@{$e->{shape}}" eq "8 4", "cast to F16 and transposed",
	   encode_json($h));
	ok($h->{global_step} && $h->{global_step}{dtype} eq "I64", "kept as it is");
}

# Parse errors: FILE:LINE.
{
	my $rules = "$tmp/bad.rules";
	open(my $f, ">", $rules) or die;
	print $f "# fine\ndrop optimizer\n\ntranspose x 0,0\n";
	close($f);
	my ($rc, $msg) = run("$ckpt export --rules " . shq($rules) . " -n " . shq($bert));
	ok($rc == 2 && $msg =~ /^ckpt: export: \Q$rules\E:4: axis 0 given twice$/m, "parse error at FILE:LINE", $msg);
}

# --check-against: a names file with HF's names and shapes.
{
	my $names = "$tmp/bert.names";
	open(my $f, ">", $names) or die;
	print $f "$_\n" for sort keys %bert;
	close($f);
	my ($rc, $msg) = run("$ckpt export --preset bert -n --check-against " . shq($names) . " " . shq($bert));
	ok($rc == 0, "--check-against the names passes", $msg);
	open($f, ">>", $names) or die;
	print $f "cls.predictions.decoder.weight\n";
	close($f);
	($rc, $msg) = run("$ckpt export --preset bert -n --check-against " . shq($names) . " " . shq($bert));
	ok($rc == 2 && $msg =~ /"cls\.predictions\.decoder\.weight": expected by --check-against/,
	   "--check-against reports a missing name", $msg);
	# a safetensors header: the one --preset bert wrote above checks; a transposed shape does not
	($rc, $msg) = run("$ckpt export --preset bert -n --check-against " . shq("$tmp/bert.safetensors") . " " . shq($bert));
	ok($rc == 0, "--check-against a safetensors file", $msg);
	open($f, ">", "$tmp/nt.rules") or die;
	open(my $p, "<", dirname(__FILE__) . "/../presets/bert.rules") or die;
	print $f grep { !/^transpose/ } <$p>;
	close($f);
	($rc, $msg) = run("$ckpt export --strict --rules " . shq("$tmp/nt.rules") . " -n --check-against " . shq("$tmp/bert.safetensors") . " " . shq($bert));
	ok($rc == 2 && $msg =~ /"bert\.encoder\.layer\.0\.intermediate\.dense\.weight": shape float32\[4,8\], expected \[8,4\]/,
	   "--check-against finds an untransposed kernel by its shape", $msg);
}

# Transposes of every kind, values checked element by element: a 32 MiB tensor that streams
# through fortran.h's blocked transpose, a rank-3 permutation done in memory, a partitioned
# tensor read slice by slice, and .npz output with a cast to bfloat16 (widened back, exactly).
sub npy_f32 {
	my ($path, $dims, $gen) = @_;
	open(my $f, ">:raw", $path) or die;
	my $h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" . join(", ", @$dims) .
		(@$dims == 1 ? "," : "") . "), }";
	$h .= " " x (128 - 10 - length($h) - 1) . "\n";
	print $f "\x93NUMPY\x01\x00" . pack("v", length $h) . $h;
	my $n = 1;
	$n *= $_ for @$dims;
	for (my $i = 0; $i < $n; $i += 65536) {
		my $m = $n - $i < 65536 ? $n - $i : 65536;
		print $f pack("f<*", map { $gen->($_) } $i .. $i + $m - 1);
	}
	close($f);
}
{
	my ($r, $c) = (2048, 4100);  # just over fortran.h's 32 MiB: the streamed path
	mkdir("$tmp/npy") or die;
	npy_f32("$tmp/npy/big.npy", [$r, $c], sub { ($_[0] % 1000003) * 0.5 });
	npy_f32("$tmp/npy/cube.npy", [2, 3, 5], sub { $_[0] + 0.25 });
	my ($rc, $msg) = run("$ckpt import -o " . shq("$tmp/t/ck") . " " . shq("$tmp/npy"));
	ok($rc == 0, "import the transpose inputs", $msg);
	open(my $f, ">", "$tmp/t.rules") or die;
	print $f "transpose ^big\$ 1,0\ntranspose ^cube\$ 2,0,1\n";
	close($f);
	($rc, $msg) = run("$ckpt export --strict --rules " . shq("$tmp/t.rules") . " --safetensors " . shq("$tmp/t.st") . " " . shq("$tmp/t/ck"));
	ok($rc == 0, "export the transposes", $msg);
	my ($h, $data) = read_st("$tmp/t.st");
	my $e = $h->{big};
	my $bad = "@{$e->{shape}}" eq "$c $r" ? 0 : "shape @{$e->{shape}}";
	for my $k (0 .. 4999) {  # out[j][i] == in[i][j] at scattered places and the corners
		my ($i, $j) = $k < 4 ? (($k & 1) * ($r - 1), ($k >> 1) * ($c - 1)) : (int(rand $r), int(rand $c));
		my $got = unpack("f<", substr($data, $e->{data_offsets}[0] + 4 * ($j * $r + $i), 4));
		my $want = unpack("f<", pack("f<", (($i * $c + $j) % 1000003) * 0.5));
		$bad ||= "[$j][$i] = $got, want $want" if $got != $want;
	}
	ok(!$bad, "a kernel over 32 MiB transposed through the blocked, streamed path", $bad);
	$e = $h->{cube};
	my @o = unpack("f<*", substr($data, $e->{data_offsets}[0], 120));
	$bad = "@{$e->{shape}}" eq "5 2 3" ? 0 : "shape @{$e->{shape}}";
	for my $k (0 .. 4) { for my $i (0 .. 1) { for my $j (0 .. 2) {  # out[k][i][j] = in[i][j][k]
		$bad ||= "[$k][$i][$j]" if $o[$k * 6 + $i * 3 + $j] != $i * 15 + $j * 5 + $k + 0.25;
	} } }
	ok(!$bad, "axes 2,0,1 of a rank-3 tensor", $bad);

	system("$bin/mkckpt partitioned " . shq("$tmp/gen") . " >/dev/null") == 0 or die;
	my $p = "$tmp/gen/partitioned/ckpt";
	open($f, ">", "$tmp/p.rules") or die;
	print $f "transpose ^emb\$ T\ncast ^emb\$ bfloat16\nkeep .\n";
	close($f);
	($rc, $msg) = run("$ckpt export --rules " . shq("$tmp/p.rules") . " --npz " . shq("$tmp/p.npz") . " " . shq($p));
	ok($rc == 0 && $msg =~ /bfloat16 tensor written as float32/, "partitioned, transposed, cast, .npz", $msg);
	($rc, $msg) = run("$ckpt import -o " . shq("$tmp/p2/ck") . " " . shq("$tmp/p.npz"));
	my ($sd, $sv) = source($p, "emb");
	my ($od, $ov) = source("$tmp/p2/ck", "emb");
	$bad = "@$od" eq "3 6" ? 0 : "shape @$od";
	for my $i (0 .. 5) { for my $j (0 .. 2) {
		# bfloat16: the float32's top 16 bits, rounded to nearest even
		my $bits = unpack("V", pack("f<", $sv->[$i * 3 + $j]));
		my $r16 = ($bits + 0x7fff + (($bits >> 16) & 1)) & 0xffff0000;
		my $want = unpack("f<", pack("V", $r16));
		$bad ||= "[$j][$i] = $ov->[$j * 6 + $i], want $want" if $ov->[$j * 6 + $i] != $want;
	} }
	ok(!$bad, "the slices assembled, transposed and rounded to bfloat16", $bad);
}
# split: a [4,8] kernel cut along axis 1 into two [4,4] halves (a fused kernel's parts), the
# second transposed; values checked element by element.
{
	open(my $f, ">", "$tmp/split.rules") or die;
	print $f "split ^(.*)/kernel\$ 1 \\1/first,\\1/second\ntranspose /second\$ T\nkeep .\n";
	close($f);
	my $k = "bert/encoder/layer_0/intermediate/dense/kernel";
	my ($rc, $msg) = run("$ckpt export --strict --rules " . shq("$tmp/split.rules") . " --include " . shq("^$k\$") . " --safetensors " . shq("$tmp/split.st") . " " . shq($bert));
	ok($rc == 0, "export with split", $msg);
	my ($h, $data) = read_st("$tmp/split.st");
	my (undef, $v) = source($bert, $k);
	my $bad = join(",", sort keys %$h) eq "bert/encoder/layer_0/intermediate/dense/first,bert/encoder/layer_0/intermediate/dense/second" ? "" : "names " . join(",", sort keys %$h);
	my @a = unpack("f<*", substr($data, $h->{"bert/encoder/layer_0/intermediate/dense/first"}{data_offsets}[0], 64));
	my @b = unpack("f<*", substr($data, $h->{"bert/encoder/layer_0/intermediate/dense/second"}{data_offsets}[0], 64));
	for my $i (0 .. 3) { for my $j (0 .. 3) {
		$bad ||= "first[$i][$j]" if $a[$i * 4 + $j] != $v->[$i * 8 + $j];
		$bad ||= "second[$j][$i]" if $b[$j * 4 + $i] != $v->[$i * 8 + 4 + $j];
	} }
	ok(!$bad, "split along axis 1, part 2 transposed: every value in place", $bad);
}
done();
