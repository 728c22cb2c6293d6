#!/usr/bin/perl
# Interop over every real TensorFlow checkpoint in ../shared/fixtures/tf (CKPT_FIXTURES):
#  - `ckpt list --json` gives the names, dtypes and shapes an independent reader found
#    (EXPECTED.jsonl), and the number of shards;
#  - for every .index, our table reader returns exactly the keys LevelDB's own reader returns
#    (leveldb_keys, checksums verified);
#  - rebuilding each index from its entries with TF's writer settings gives the same bytes.
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);
use File::Find;

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip done skip_all $ckpt $bin $fix shq run);

skip_all("no fixtures at $fix") unless -f "$fix/EXPECTED.jsonl";

open(my $fh, '<', "$fix/EXPECTED.jsonl") or die "$fix/EXPECTED.jsonl: $!";
while (my $line = <$fh>) {
	my $exp = decode_json($line);
	my $prefix = "$fix/$exp->{prefix}";
	my ($rc, $out) = run($ckpt, 'list', '--json', shq($prefix));
	if ($exp->{format} eq 'V1' && $out =~ /reading V1 is not supported yet/) {
		skip("V1 reading not implemented yet", $exp->{prefix});
		next;
	}
	if ($rc != 0) {
		ok(0, "list $exp->{prefix}", "exit $rc: $out");
		next;
	}
	my $got = decode_json($out);
	my @want = @{ $exp->{tensors} };
	my @have = @{ $got->{tensors} };
	my @diff;
	push @diff, "tensor count: got " . scalar(@have) . ", want " . scalar(@want) if @have != @want;
	my %by = map { $_->{name} => $_ } @have;
	for my $t (@want) {
		my $h = $by{ $t->{key} };
		if (!$h) { push @diff, "missing $t->{key}"; next; }
		push @diff, "$t->{key}: dtype $h->{dtype} != $t->{dtype}" if $h->{dtype} ne $t->{dtype};
		my ($a, $b) = (join(',', @{ $h->{shape} }), join(',', @{ $t->{shape} }));
		push @diff, "$t->{key}: shape [$a] != [$b]" if $a ne $b;
	}
	if ($exp->{num_shards}) {
		push @diff, "num_shards $got->{num_shards} != $exp->{num_shards}"
			if $got->{num_shards} != $exp->{num_shards};
	}
	push @diff, "format $got->{format}" if lc($got->{format}) ne lc($exp->{format});
	ok(!@diff, "list $exp->{prefix}: " . scalar(@want) . " tensors", @diff[0 .. ($#diff < 4 ? $#diff : 4)]);
}
close($fh);

# Indexes whose Snappy blocks were compressed by a different Snappy version than Debian's:
# their content is identical (the keys test proves it), their compressed bytes are not.
my %snappy_variant = map { $_ => 1 } ('tensorflow+lingvo/lingvo/core/testdata/lenet_test_model.index');

my @indexes;
find(sub { push @indexes, $File::Find::name if /\.index$/ && -f $_ && -s $_ >= 48 }, $fix);
for my $idx (sort @indexes) {
	(my $rel = $idx) =~ s/^\Q$fix\E\///;
	my ($rc1, $lev) = run("$bin/leveldb_keys", shq($idx));
	my ($rc2, $ours) = run("$bin/tabletool", 'keys', shq($idx));
	ok($rc1 == 0 && $rc2 == 0 && $lev eq $ours, "keys of $rel equal LevelDB's",
	   "leveldb exit $rc1, ours exit $rc2");
	my ($rc3, $reb) = run("$bin/tabletool", 'rebuild', shq($idx));
	my $want = $snappy_variant{$rel} ? qr/^differs.*entries re-encode identically/
					   : qr/^identical.*entries re-encode identically/;
	ok($rc3 == 0 && $reb =~ $want, "rebuild of $rel", $reb);
}
done();
