#!/usr/bin/perl
# Seed corpora for the fuzz targets, built under OUT (in build/, never in the repository):
#   perl tests/fuzz/seed.pl CKPT MKCKPT FIXTURES OUT
# from every real fixture and from the generated checkpoints (mkckpt all).
use strict;
use warnings;
use File::Find;
use File::Path qw(make_path remove_tree);
use JSON::PP;

my ($ckpt, $mkckpt, $fix, $out) = @ARGV;
die "usage: seed.pl CKPT MKCKPT FIXTURES OUT\n" unless defined $out;
remove_tree($out);
make_path(map { "$out/$_" } qw(table bundle state path slicekey v1 objgraph graph gen npy npz
				    safetensors entry_proto entry_encode));
system($mkckpt, 'all', "$out/gen") == 0 or die "mkckpt failed\n";

my $n = 0;
sub slurp { my ($f, $max) = @_; open(my $h, '<:raw', $f) or return ''; local $/; my $s = <$h> // '';
	    $s = substr($s, 0, $max) if defined $max && length($s) > $max; return $s; }
sub put { my ($dir, $bytes) = @_; my $f = sprintf('%s/%s/seed-%05d', $out, $dir, ++$n);
	  open(my $h, '>:raw', $f) or die "$f: $!\n"; print $h $bytes; close $h; }

my (@index, @state, @v1, @graph);
for my $root ($fix, "$out/gen") {
	next unless -d $root;
	find({ no_chdir => 1, wanted => sub {
		return unless -f $_;
		push @index, $_ if /\.index$/;
		push @state, $_ if m{/checkpoint$};
		push @graph, $_ if (/\.meta$/ || m{/saved_model\.pb$}) && -s $_ < 800_000;
		push @v1, $_ if m{/export(-\d{5}-of-\d{5})?$} || m{/v1/};
	} }, $root);
}
for my $f (sort @index) {
	next if -s $f > 200_000;   # keep units small: the fuzzer mutates whole inputs
	my $idx = slurp($f);
	put('table', $idx);
	(my $prefix = $f) =~ s/\.index$//;
	my ($data) = sort glob("$prefix.data-00000-of-*");
	my $d = defined $data ? slurp($data, 65536) : '';
	put('bundle', pack('V', length $idx) . $idx . $d);
	# The object graph: a DT_STRING scalar = varint length, 4-byte checksum, the bytes.
	next unless -x $ckpt;
	my $json = `"$ckpt" list --json -l "$prefix" 2>/dev/null`;
	next unless $? == 0 && $json && defined $data;
	my $t = eval { decode_json($json) } or next;
	for my $e (@{ $t->{tensors} }) {
		next unless $e->{object_graph} && $e->{shard} == 0 && $e->{bytes} < 65536;
		my $blob = substr(slurp($data), $e->{offset}, $e->{bytes});
		my ($len, $i) = (0, 0);
		while ($i < length $blob) { my $c = ord substr($blob, $i++, 1);
					    $len |= ($c & 0x7f) << (7 * ($i - 1)); last unless $c & 0x80; }
		put('objgraph', substr($blob, $i + 4, $len));
	}
}
put('state', slurp($_)) for sort @state;
# Graphs: a first byte selects the name (0: x.meta, 1: saved_model.pb), as fuzz_graph.c reads.
put('graph', (/\.meta$/ ? "\0" : "\1") . slurp($_)) for sort @graph;
put('table', slurp($_)), put('v1', slurp($_)) for grep { -s $_ < 200_000 } sort @v1;

# Slice keys: OrderedCode of (0, name, rank, start/length pairs), plus edge numbers.
sub oc_str { my $s = shift; $s =~ s/\x00/\x00\xff/g; $s =~ s/\xff(?!\x00)/\xff\x00/g; "$s\x00\x01" }
put('slicekey', "\x00" . oc_str('v') . "\x01\x02" . "\x80\x82" . "\x80\x7f");
put('slicekey', "\x00" . oc_str("a/b\x00c") . "\x00");
put('slicekey', "\x00" . oc_str('w') . "\x01\x01" . "\xff\xc0\x00\x00\x00\x00\x00\x00\x00\x01" . "\x7f");
put('slicekey', "\xff\xff\xff\xff\xff\xff\xff\xff");

# BundleEntryProto values as TF writes them (float [16,16] at 1024, a scalar, an unknown-rank
# shape), one with a slice and one with a dim name (both left to protobuf-c).
put('entry_proto', "\x08\x01\x12\x08\x12\x02\x08\x10\x12\x02\x08\x10\x20\x80\x08\x28\x80\x08\x35\x01\x02\x03\x04");
put('entry_proto', "\x08\x09\x12\x00\x18\x01\x28\x08\x35\xff\xff\xff\xff");
put('entry_proto', "\x08\x13\x12\x02\x18\x01");
put('entry_proto', "\x08\x01\x12\x04\x12\x02\x08\x04\x3a\x06\x0a\x04\x08\x00\x10\x02");
put('entry_proto', "\x12\x08\x12\x06\x08\x03\x12\x02\x61\x62");
# Bytes entries are made from (tests/unit/entry_encode_same.h): a rank-2 tensor, and a
# partitioned rank-2 one (head bit 7) with a whole-dim extent (a negative length).
put('entry_encode', "\x02\x01\x90\x90\xc0\x81\x80\x00\x04\x00\x00\x00\x00\x00\x00\xc0\xc4");
put('entry_encode', "\x82\x01\x90\x90\x00\xc8\x00\x02");

# Path folders: records op|name|len|bytes (see fuzz_path.c), then the argument byte.
my $st = "model_checkpoint_path: \"model.ckpt-1\"\nall_model_checkpoint_paths: \"model.ckpt-1\"\n";
my ($idx1) = grep { m{/sample/} } sort @index;
my $small = defined $idx1 ? slurp($idx1) : '';
sub rec { my ($op, $name, $bytes) = @_; pack('CCv', $op, $name, length $bytes) . $bytes }
put('path', rec(0, 0, $st) . rec(0, 1, $small) . rec(0, 2, '') . "\xff\xf0");
put('path', rec(0, 1, $small) . "\xff\x0b");
put('path', rec(1, 1, "\x07") . rec(0, 7, $small) . "\xff\x01");
put('path', rec(0, 3, $small) . rec(0, 6, "x") . "\xff\xf0");
put('path', rec(0, 0, "model_checkpoint_path: \"/nonexistent/model.ckpt-1\"\n") . rec(0, 1, $small) . "\xff\x00");
put('path', rec(0, 8, $small) . "\xff\x09");
# .npy: headers of each kind (C and Fortran order, big-endian, strings) with their data.
sub npy { my ($descr, $fortran, $shape, $data) = @_;
	  my $d = "{'descr': '$descr', 'fortran_order': $fortran, 'shape': $shape, }";
	  $d .= ' ' x ((64 - (10 + length($d) + 1) % 64) % 64) . "\n";
	  "\x93NUMPY\x01\x00" . pack('v', length $d) . $d . $data }
put('npy', npy('<f4', 'False', '(2, 3)', pack('f<*', 1 .. 6)));
put('npy', npy('<i2', 'True', '(2, 3, 2)', pack('s<*', 1 .. 12)));
put('npy', npy('>i4', 'True', '(3, 2)', pack('l>*', 1 .. 6)));
put('npy', npy('|S3', 'True', '(2, 2)', "ab\0cd\0ef\0g\0\0"));
put('npy', npy('<U2', 'False', '(2,)', pack('V*', 0x41, 0xe9, 0x1f600, 0)));
put('npy', npy('|b1', 'False', '()', "\1"));
# .npz and safetensors: what export writes of the generated checkpoints, stored and deflated.
if (-x $ckpt) {
	for my $ck (map { "$out/gen/$_" } qw(sample/model.ckpt-500 dtypes/ckpt names/ckpt partitioned/ckpt)) {
		next unless -e "$ck.index";
		my $tmp = "$out/gen/seed-export";
		for my $how (['--npz', 'npz'], ['--npz', 'npz', '-z'], ['--safetensors', 'safetensors']) {
			my ($opt, $dir, @more) = @$how;
			unlink $tmp;
			system("'$ckpt' export -f @more $opt '$tmp' '$ck' >/dev/null 2>&1");
			put($dir, slurp($tmp)) if -s $tmp && -s $tmp < 200_000;
		}
		unlink $tmp;
	}
}
print "seeded $n inputs into $out\n";
