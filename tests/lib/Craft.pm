# Craft: hand-built V2 checkpoints for the reliability tests (huge.t, hostile.t, crash.t), byte
# by byte and independent of ckpt's own writer, so that shapes, offsets and names no writer
# would produce can be tested. doc/FORMAT.md §3 (CRC32C), §4 (table), §5 (bundle protos).
#
#   index(prefix, num_shards, [name, {dtype, dims, shard, offset, size, crc}], ...)
#   float32 payload: f32(@values); crc: masked_crc(bytes)
package Craft;

use strict;
use warnings;
use Exporter qw(import);

our @EXPORT_OK = qw(crc32c masked_crc varint table header entry write_index spew slurp f32);

my @T;
for my $i (0 .. 255) {
	my $c = $i;
	$c = $c & 1 ? ($c >> 1) ^ 0x82F63B78 : $c >> 1 for 1 .. 8;
	$T[$i] = $c;
}

sub crc32c {
	my $crc = 0xffffffff;
	$crc = $T[($crc ^ $_) & 0xff] ^ ($crc >> 8) for unpack('C*', $_[0]);
	return $crc ^ 0xffffffff;
}

sub masked_crc {
	my $c = crc32c($_[0]);
	return (((($c >> 15) | ($c << 17)) & 0xffffffff) + 0xa282ead8) & 0xffffffff;
}

# Unsigned LEB128 of a 64-bit value (a negative int64 is given as its two's complement).
sub varint {
	my $v = shift;
	my $s = '';
	while ($v >= 0x80) {
		$s .= chr(($v & 0x7f) | 0x80);
		$v >>= 7;
	}
	return $s . chr($v);
}

sub lenp { varint(length $_[0]) . $_[0] }

# One block, every entry a restart point (shared = 0): valid, if not what TF writes.
sub block {
	my @kv = @_;
	my ($b, @r) = ('');
	while (@kv) {
		my ($k, $v) = splice(@kv, 0, 2);
		push @r, length $b;
		$b .= varint(0) . varint(length $k) . varint(length $v) . $k . $v;
	}
	@r = (0) unless @r;
	return $b . pack('V*', @r, scalar @r);
}

sub trailer { my $b = shift; $b . "\0" . pack('V', masked_crc($b . "\0")) }

# A table of (key, value) pairs, keys already sorted: one data block, metaindex, index, footer.
sub table {
	my @kv = @_;
	my $data = block(@kv);
	my $out = trailer($data);
	my $meta = block();
	my $moff = length $out;
	$out .= trailer($meta);
	my $ioff = length $out;
	my $idx = block($kv[-2], varint(0) . varint(length $data));
	$out .= trailer($idx);
	my $f = varint($moff) . varint(length $meta) . varint($ioff) . varint(length $idx);
	return $out . $f . ("\0" x (40 - length $f)) . pack('VV', 0x8B80FB57, 0xDB477524);
}

sub header { "\x08" . varint($_[0]) . "\x1a\x02\x08\x01" }

sub entry {
	my %e = @_;
	my $shape = join '', map { "\x12" . lenp("\x08" . varint($_)) } @{ $e{dims} };
	my $s = "\x08" . varint($e{dtype}) . "\x12" . lenp($shape);
	$s .= "\x18" . varint($e{shard}) if $e{shard};
	$s .= "\x20" . varint($e{offset}) if $e{offset};
	$s .= "\x28" . varint($e{size}) if $e{size};
	return $s . "\x35" . pack('V', $e{crc} // 0);
}

sub spew {
	my ($f, $bytes) = @_;
	open(my $h, '>:raw', $f) or die "$f: $!\n";
	print $h $bytes;
	close $h or die "$f: $!\n";
}

sub slurp { open(my $h, '<:raw', $_[0]) or die "$_[0]: $!\n"; local $/; my $s = <$h>; $s // '' }

# Write PREFIX.index: entries are [name, {entry fields}] in any order (sorted here, bytewise).
sub write_index {
	my ($prefix, $shards, @entries) = @_;
	my @kv = ('', header($shards));
	push @kv, $_->[0], entry(%{ $_->[1] }) for sort { $a->[0] cmp $b->[0] } @entries;
	spew("$prefix.index", table(@kv));
}

sub f32 { pack('f<*', @_) }

1;
