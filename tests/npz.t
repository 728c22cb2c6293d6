#!/usr/bin/perl
# .npz archives as other programs read them (issue 21: our own zip writer). Each export is read
# by Python's zipfile and by hand (tests/tools/npzcheck.py: names, sizes, CRC-32s, local
# headers, .npy headers, every member's bytes against the checkpoint's), tested by Info-ZIP's
# `unzip -t`, and imported back; the export of many members is watched with strace. ZIP64: an
# archive of 70000 members (more than 65535: the ZIP64 end records), and one past 4 GiB that
# test_npz makes from holes (a sparse file).
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip skip_all done $root $ckpt $bin shq run);

skip_all("python3 is not installed") if system("python3 -c 1 >/dev/null 2>&1") != 0;
my $tmp = tempdir("ckpt-npz.XXXXXX", TMPDIR => 1, CLEANUP => 1);
for my $set (qw(sample many70k)) {
	system("$bin/mkckpt $set " . shq("$tmp/gen" . ($set eq 'sample' ? '/sample' : ''))
	       . " >/dev/null") == 0 or die "mkckpt $set failed";
}
my $check = "python3 " . shq("$root/tests/tools/npzcheck.py");
my $unzip = system("unzip -v >/dev/null 2>&1") == 0;

my $strace = system('strace -V >/dev/null 2>&1') == 0;
# seccomp-bpf: the traced process stops only at the calls traced
my $bpf = $strace && system('strace -f --seccomp-bpf -e trace=write -o /dev/null true >/dev/null 2>&1') == 0
    ? '--seccomp-bpf' : '';

# Large writes (issue 21: the archive went out in 4 KiB pieces, and libzip went back to each
# member's header): about one write(2) per MiB, and the CRCs filled in in the buffer, not by
# a pwrite per member. From the strace log of the export.
sub large_writes {
	my ($what, $log, $npz) = @_;
	open(my $f, '<', $log) or die "$log: $!";
	my @lines = <$f>;
	my @writes = grep { /\bwrite\((\d+),/ && $1 > 2 } @lines;  # not the messages on stderr
	my @patches = grep { /\bpwrite64\(/ && !/"\d+\\n"/ } @lines;  # not the lock's pid
	my $size = -s $npz;
	my $most = int($size / (1 << 20)) + 4;
	ok(@writes && @writes <= $most && @patches <= 4, "$what: " . scalar(@writes) . " write calls "
	   . "for $size bytes (at most $most), " . scalar(@patches) . " header patches by pwrite "
	   . "(at most 4)", @lines[0 .. ($#lines < 8 ? $#lines : 8)]);
}

# export CKPT with OPTS (under strace with $trace), then every independent check of the archive.
sub exported {
	my ($what, $ck, $opts, $zip64, $trace) = @_;
	my $npz = "$tmp/$what.npz";
	my $log = "$tmp/$what.strace";
	# LeakSanitizer cannot work under ptrace (in a sanitizer build)
	local $ENV{ASAN_OPTIONS} = join(':', grep { length } $ENV{ASAN_OPTIONS} // '', 'detect_leaks=0')
	    if $trace && $strace;
	my $pre = $trace && $strace ? "strace -f $bpf -o " . shq($log) . " -e trace=write,pwrite64 " : '';
	my ($rc, $out) = run("$pre$ckpt export $opts --npz " . shq($npz) . " " . shq($ck));
	ok($rc == 0, "$what: exported", $out) or return;
	if ($trace) {
		$strace ? large_writes($what, $log, $npz) : skip("strace is not installed", "$what: large writes");
	}
	run("$ckpt list --json " . shq($ck) . " >" . shq("$tmp/$what.json"));
	($rc, $out) = run("$check " . shq($npz) . " " . shq("$tmp/$what.json") . " "
			  . shq("$ck.data-00000-of-00001"));
	ok($rc == 0, "$what: Python's zipfile and the byte-level checks agree", $out);
	ok(scalar($out =~ /zip64 (\w)/ && $1 eq ($zip64 ? 'Y' : 'N')),
	   "$what: ZIP64 end records " . ($zip64 ? "present" : "absent"), $out);
	if ($unzip) {
		($rc, $out) = run("unzip -tq " . shq($npz));
		ok($rc == 0 && $out =~ /No errors detected/, "$what: unzip -t finds no error", $out);
	} else {
		skip("unzip is not installed", "$what: unzip -t");
	}
	($rc, $out) = run("$ckpt import -o " . shq("$tmp/$what-back/ckpt") . " " . shq($npz)
			  . " && $ckpt diff " . shq("$tmp/$what-back/ckpt") . " " . shq($ck));
	ok($rc == 0, "$what: imported back, identical to the checkpoint", $out);
}

exported('sample', "$tmp/gen/sample/model.ckpt-1000", '', 0);
exported('sample-deflated', "$tmp/gen/sample/model.ckpt-1000", '-z --no-sync', 0);
exported('many70k', "$tmp/gen/many70k/ckpt", '--no-sync', 1, 1);

# Past 4 GiB: test_npz writes the archive from our record encoders, 9 GiB mostly holes.
my $sparse = "$tmp/sparse.npz";
my ($rc, $out) = run("NPZ_SPARSE=" . shq($sparse) . " " . shq("$bin/test_npz"));
ok($rc == 0, "test_npz wrote the sparse ZIP64 archive", $out);
($rc, $out) = run("python3 -c " . shq(<<'PY') . " " . shq($sparse));
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
i = {x.filename: x for x in z.infolist()}
assert sorted(i) == ["a.npy", "b.npy", "big.npy"], sorted(i)
assert i["b.npy"].header_offset == 5 << 30, i["b.npy"].header_offset
assert i["big.npy"].file_size == (4 << 30) + 16 and i["big.npy"].header_offset == (5 << 30) + 200
for k, name in enumerate(["a.npy", "b.npy"]):
    want = bytes([k]) + bytes((j * 7) & 255 for j in range(1, 100))
    assert z.read(name) == want, name  # the CRC-32 is checked as it is read
print("ok")
PY
ok($rc == 0 && $out =~ /^ok/m, "Python's zipfile reads the members past 4 GiB and the 4 GiB size",
   $out);
done();
