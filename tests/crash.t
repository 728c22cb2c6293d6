#!/usr/bin/perl
# Crash safety of the writing commands (subset, rename, merge; export and show --npy on Ctrl-C):
#  - SIGKILL at random moments of runs over a ~25 MiB, 10 000-tensor checkpoint: afterwards the
#    inputs are unchanged, the output name holds nothing, the previous checkpoint intact, or
#    the new one complete and verifying (never a mix); temporary files a killed run leaves
#    are gone after the next run completes;
#  - disk full (a 1 MiB tmpfs when this runs as root, else RLIMIT_FSIZE with SIGXFSZ ignored):
#    exit 2, one message, no output and no temporary files left.
#   CRASH_KILLS=N  kill points (default 30); CRASH_SEED=S  random seed (default 1);
#   CRASH_NO_MOUNT=1  use RLIMIT_FSIZE even as root
use strict;
use warnings;
use File::Basename qw(dirname basename);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use POSIX qw(WIFSIGNALED WTERMSIG WEXITSTATUS);
use Time::HiRes qw(time sleep);
use lib dirname(__FILE__) . '/lib';
use Tap qw(ok done);

my $root = dirname(dirname(__FILE__));
my $ckpt = $ENV{CKPT} || "$root/ckpt";
my $bin = $ENV{TESTBIN} || "$root/build/tests";
my $kills = $ENV{CRASH_KILLS} // 30;
srand($ENV{CRASH_SEED} // 1);
for my $c (qw(subset rename merge)) {
	if (system("$ckpt $c --help >/dev/null 2>&1") != 0) {
		print "1..0 # SKIP no 'ckpt $c' yet\n";
		exit 0;
	}
}
my $tmp = $ENV{TMPDIR} || (-d '/dev/shm' && -w '/dev/shm' ? '/dev/shm' : '/tmp');
my $dir = tempdir('ckpt-crash.XXXXXX', DIR => $tmp, CLEANUP => 1);
sub slurp { open(my $h, '<:raw', $_[0]) or return ''; local $/; my $s = <$h>; $s // '' }

# Start ckpt; returns the pid. Output goes to $dir/.out and $dir/.err.
sub start {
	my ($pre, @argv) = @_;
	my $pid = fork // die "fork: $!\n";
	if (!$pid) {
		open(STDOUT, '>', "$dir/.out");
		open(STDERR, '>', "$dir/.err");
		if ($pre) {
			my $q = join ' ', map { my $s = $_; $s =~ s/'/'\\''/g; "'$s'" } $ckpt, @argv;
			exec('sh', '-c', "$pre; exec $q") or exit 127;
		}
		exec($ckpt, @argv) or exit 127;
	}
	return $pid;
}

sub finish {
	my $pid = shift;
	waitpid($pid, 0);
	my $st = $?;
	return WIFSIGNALED($st) ? 128 + WTERMSIG($st) : WEXITSTATUS($st);
}

sub run { finish(start(undef, @_)) }

# ---- the input: 20 copies of the sample model (with Adam slots) and 10 000 small tensors ----
system("$bin/mkckpt", 'all', "$dir/gen") == 0 or do { print "Bail out! mkckpt failed\n"; exit 1 };
my @parts;
push @parts, '--prefix', sprintf('p%02d/', $_), "$dir/gen/sample/model.ckpt-1000" for 0 .. 19;
my $code = run('merge', '-o', "$dir/in/model", @parts, '--prefix', 'many/', "$dir/gen/many/ckpt");
if ($code != 0) {
	print "Bail out! cannot build the input: " . slurp("$dir/.err");
	exit 1;
}
my @inputs = (glob("$dir/in/model.*"), glob("$dir/gen/many/ckpt.*"));

# Fingerprints: size and nanosecond mtime every time, full contents at the end.
sub stamp { join ',', map { my @s = Time::HiRes::stat($_); "$_:$s[7]:$s[9]" } sort @_ }
sub digest { join ',', map { unpack('%32C*', slurp($_)) . ':' . length(slurp($_)) } sort @_ }
my $stamp0 = stamp(@inputs);
my $digest0 = digest(@inputs);

my $out = "$dir/out/o";
my %ops = (
	subset => ['subset', '-f', '--verify-data', '-o', $out, '-x', '^p0[0-9]/', "$dir/in/model"],
	rename => ['rename', '-f', '--copy', '--verify-data', '-o', $out, '--add-prefix', 'r/',
		   "$dir/in/model"],
	merge  => ['merge', '-f', '--verify-data', '-o', $out, '--prefix', 'a/', "$dir/in/model",
		   '--prefix', 'b/', "$dir/gen/many/ckpt"],
);
my @opnames = sort keys %ops;

sub listing {
	my $c = run('list', '--json', '-l', $_[0]);
	(my $s = slurp("$dir/.out")) =~ s/"(path|prefix)":[^\n]*\n//g;
	return $c == 0 ? $s : undef;
}

sub clear_out {
	remove_tree("$dir/out");
	make_path("$dir/out");
}

# Calibration: each operation to completion; its listing is what a complete output shows.
my (%want, %took, %saved);
for my $op (@opnames) {
	clear_out();
	my $t0 = time;
	my $c = run(@{ $ops{$op} });
	$took{$op} = time - $t0;
	my $v = run('verify', $out);
	$want{$op} = listing($out);
	ok($c == 0 && $v == 0 && defined $want{$op}, sprintf("%s completes (%.2f s) and verifies", $op, $took{$op}),
	   "exit $c, verify $v: " . slurp("$dir/.err"));
	# Keep a complete output to stand as "the previous checkpoint" under the name.
	make_path("$dir/saved/$op");
	system('cp', '-a', glob("$dir/out/o.*"), "$dir/saved/$op/") == 0 or die "cp failed\n";
}

# ---- kill points ----
my ($killed, $completed, $leftovers, @bad) = (0, 0, 0);
for my $k (1 .. $kills) {
	my $op = $opnames[$k % @opnames];
	my $prev = $k % 2 ? $opnames[($k + 1) % @opnames] : undef;  # an older output to replace
	clear_out() if $k == 1 || rand() < 0.2;  # otherwise keep a killed run's leftovers
	unlink(glob("$dir/out/o.index"), glob("$dir/out/o.data-*"));
	system('cp', '-a', glob("$dir/saved/$prev/o.*"), "$dir/out/") if $prev;
	my $delay = rand($took{$op} * 0.9);
	my $pid = start(undef, @{ $ops{$op} });
	sleep($delay);
	kill('KILL', $pid);
	my $c = finish($pid);
	if ($c == 128 + 9) {
		$killed++;
	} else {
		$completed++;
		push @bad, "$op run $k ended by itself with exit $c" if $c != 0;
	}
	my $what = sprintf('%s killed after %.3f s%s', $op, $delay, $prev ? " over $prev" : '');
	push @bad, "$what: an input changed" if stamp(@inputs) ne $stamp0;
	my @tmp = grep { /tempstate/ } glob("$dir/out/* $dir/out/.*");
	$leftovers += @tmp;
	if (-e "$out.index") {
		my $l = listing($out);
		my $v = run('verify', '-q', $out);
		my $is = !defined $l ? 'unreadable' : $l eq $want{$op} ? 'new' :
			 $prev && $l eq $want{$prev} ? 'old' : 'mixed';
		push @bad, "$what: the output under the final name is $is (verify exit $v)"
			if $is !~ /^(new|old)$/ || $v != 0;
	}
}
ok(!@bad, "$kills kill points ($killed killed mid-run, $completed finished first): inputs " .
   'unchanged; the output name holds nothing, the old or the new checkpoint, complete', @bad);

# A run after the kills completes and no temporary file of the killed runs remains.
my $c = run(@{ $ops{subset} });
my @left = grep { /tempstate/ } glob("$dir/out/* $dir/out/.*");
ok($c == 0 && run('verify', '-q', $out) == 0, 'a run over the leftovers completes and verifies');
ok(!@left || scalar(slurp("$dir/.err") =~ /tempstate|temporary/),
   "temporary files of killed runs ($leftovers seen after kills) are cleaned or reported",
   map { basename($_) } @left);
ok(digest(@inputs) eq $digest0, 'every input byte-identical after all runs');

# ---- Ctrl-C during the single-file writers: export (.npz, written by our own zip writer, and
# safetensors) and show --npy ----
my $exp = "$dir/exp";
my %files = (
	npz         => ['export', '--npz', "$exp/x.npz", "$dir/in/model"],
	safetensors => ['export', '--safetensors', "$exp/x.safetensors", "$dir/in/model"],
	npy         => ['show', '--npy', "$exp/x.npy", "$dir/in/model", 'p00/dense/kernel'],
);
for my $what (sort keys %files) {
	my ($interrupted, $finished, @wrong) = (0, 0);
	my $final = $files{$what}[2];
	remove_tree($exp);
	make_path($exp);
	my $t0 = time;
	my $c0 = run(@{ $files{$what} });
	my $t = time - $t0;
	my $whole = -s $final;  # a size: a zip's member times differ from run to run
	push @wrong, "a whole run exits $c0: " . slurp("$dir/.err") if $c0 != 0 || !$whole;
	for my $k (1 .. 6) {
		remove_tree($exp);
		make_path($exp);
		my $pid = start(undef, @{ $files{$what} });
		sleep(rand($t));
		kill('INT', $pid);
		my $c2 = finish($pid);
		$c2 == 128 + 2 ? $interrupted++ : $finished++;
		push @wrong, "finished by itself with exit $c2" if $c2 != 128 + 2 && $c2 != 0;
		# The final name holds nothing or the whole file (Ctrl-C may land after the rename,
		# e.g. while a sanitizer checks for leaks at exit); no other name remains.
		my @other = grep { $_ ne basename($final) } map { basename($_) } glob("$exp/* $exp/.*[!.]*");
		push @wrong, "exit $c2, left: @other" if @other;
		push @wrong, "exit $c2, a partial file under the final name"
			if -e $final && -s $final != $whole;
		push @wrong, "exit 0 without the file" if $c2 == 0 && !-e $final;
	}
	ok(!@wrong, "$what: Ctrl-C at 6 moments ($interrupted interrupted, $finished finished " .
	   'first) leaves no temporary file and no partial output', @wrong);
}

# ---- disk full ----
my $full = "$dir/full";
make_path($full);
my $mounted = $> == 0 && !$ENV{CRASH_NO_MOUNT} && system("mount -t tmpfs -o size=1m tmpfs '$full' 2>/dev/null") == 0;
END { system("umount '$full' 2>/dev/null") if $mounted; }
# exports write on a second thread while the next tensor is read (and transposed): a failed
# write there must still end the run
{ open(my $h, ">", "$dir/t.rules") or die; print $h "transpose kernel\$ T\nkeep .\n"; close $h; }
$ops{'export'} = ['export', '--safetensors', $out, "$dir/in/model"];
$ops{'export-transposing'} = ['export', '--safetensors', $out, '--rules', "$dir/t.rules", "$dir/in/model"];
$ops{'export-npz'} = ['export', '--npz', $out, "$dir/in/model"];
# members of a MiB and more are written by two threads at their places (holes of the archive),
# one of them a kernel transposed
{ open(my $h, ">", "$dir/h.rules") or die; print $h "transpose ^both\$ T\nkeep .\n"; close $h; }
$ops{'export-npz-holes'} = ['export', '--npz', $out, '--rules', "$dir/h.rules", "$dir/gen/halves/a"];
for my $op (@opnames, 'export', 'export-transposing', 'export-npz', 'export-npz-holes') {
	my @argv = map { $_ eq $out ? "$full/o" : $_ } @{ $ops{$op} };
	# Without a small file system: a 1 MiB file size limit, EFBIG instead of SIGXFSZ.
	my $pre = $mounted ? undef : "trap '' XFSZ; ulimit -f 2048";
	my $c2 = finish(start($pre, @argv));
	my $err = slurp("$dir/.err");
	my @junk = glob("$full/o.* $full/.o* $full/*tempstate*");
	ok($c2 == 2 && $err =~ /^ckpt: / && ($err =~ tr/\n//) <= 2 && !@junk,
	   "$op on a full disk (" . ($mounted ? '1 MiB tmpfs' : 'RLIMIT_FSIZE') .
	   '): exit 2, a message, nothing left', "exit $c2: $err", map { basename($_) } @junk);
}

done();
