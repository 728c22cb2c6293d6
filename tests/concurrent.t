#!/usr/bin/perl
# Two writers of one output at once. Each takes the output's lock (OUT.lock) for its whole
# run, so they never mix: without -f exactly one wins and the other exits 2 (the output is
# locked, or already exists); with -f each either writes a whole checkpoint or exits 2 on
# the lock. Either way the result verifies, holds one writer's tensors, and no lock file or
# temporary file is left. CONCURRENT_ROUNDS rounds of each (short by default; CI runs more).
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Fcntl qw(:flock);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip_all done $ckpt $bin shq run);

my $rounds = $ENV{CONCURRENT_ROUNDS} || 15;
my $tmp = tempdir("ckpt-concurrent.XXXXXX", TMPDIR => 1, CLEANUP => 1);
system("$bin/mkckpt all " . shq("$tmp/gen") . " >/dev/null") == 0 or die "mkckpt failed";
my $in = shq("$tmp/gen/sample/model.ckpt-1000");
my $out = "$tmp/o/x";

# Start both writers, then wait for both: ([exit, output], [exit, output]).
sub race {
	my ($force) = @_;
	my @pids;
	for my $w (0, 1) {
		my $include = $w ? 'dense_1/' : 'dense/';
		my $pid = fork() // die "fork: $!";
		if (!$pid) {
			open(STDOUT, '>', "$tmp/log$w") or die;
			open(STDERR, '>&', \*STDOUT) or die;
			exec("$ckpt subset $force --include $include $in -o " . shq($out)) or exit 99;
		}
		push @pids, $pid;
	}
	my @r;
	for my $w (0, 1) {
		waitpid($pids[$w], 0);
		open(my $h, '<', "$tmp/log$w") or die;
		local $/;
		push @r, [ $? >> 8, scalar <$h> ];
	}
	return @r;
}

# The output: it verifies, holds exactly one writer's tensors, and nothing else is left.
sub check_result {
	my ($what, @r) = @_;
	my ($vrc, $v) = run("$ckpt verify " . shq($out));
	my (undef, $names) = run("$ckpt list --format tsv " . shq($out));
	my @n = map { (split /\t/)[0] } grep { !/^name\t/ } split /\n/, $names;
	my $one = @n && (!grep(!m{^dense/}, @n) || !grep(!m{^dense_1/}, @n));
	opendir(my $d, dirname($out)) or die;
	my @left = grep { !/^\./ && !/^x\.(index|data-00000-of-00001)$/ } readdir($d);
	closedir($d);
	return ok($vrc == 0 && $one && !@left, $what, $v, "names: @n", "left: @left",
		  map { "writer: exit $_->[0]: $_->[1]" } @r);
}

my ($bad_excl, $bad_force) = (0, 0);
for my $i (1 .. $rounds) {
	system('rm', '-rf', dirname($out));
	my @r = race('');
	my $wins = grep { $_->[0] == 0 } @r;
	my @lose = grep { $_->[0] != 0 } @r;
	my $loser_ok = @lose == 1 && $lose[0][0] == 2 &&
		       $lose[0][1] =~ /x\.lock: another ckpt .*is writing|x\.index: already exists/;
	$bad_excl++ unless ($wins == 1 && $loser_ok && check_result("round $i without -f", @r)) ||
			   ok(0, "round $i without -f: exactly one wins",
			      map { "exit $_->[0]: $_->[1]" } @r);
	last if $bad_excl > 2;
}
ok($bad_excl == 0, "$rounds rounds without -f: exactly one writer won each time");

for my $i (1 .. $rounds) {
	my @r = race('-f');
	my $wins = grep { $_->[0] == 0 } @r;
	my $losers_ok = !grep { $_->[0] != 0 && !($_->[0] == 2 &&
				 $_->[1] =~ /x\.lock: another ckpt .*is writing/) } @r;
	$bad_force++ unless ($wins >= 1 && $losers_ok && check_result("round $i with -f", @r)) ||
			    ok(0, "round $i with -f", map { "exit $_->[0]: $_->[1]" } @r);
	last if $bad_force > 2;
}
ok($bad_force == 0, "$rounds rounds with -f: one whole checkpoint each time");

# A lock held by another process: exit 2, naming the lock file and its holder.
system('rm', '-rf', dirname($out));
mkdir(dirname($out)) or die;
open(my $lock, '>', "$out.lock") or die;
print $lock "$$\n";
$lock->flush;
flock($lock, LOCK_EX) or die "flock: $!";
my ($rc, $msg) = run("$ckpt subset --include dense/ $in -o " . shq($out));
ok(scalar($rc == 2 && $msg =~ /\Q$out\E\.lock: another ckpt \(process $$\) is writing/),
   "a held lock: exit 2 naming the lock and its holder", "exit $rc", $msg);
ok(!-e "$out.index", "a held lock: nothing written");
close($lock);

# A lock file left by a process that died (no flock held): taken over and removed.
($rc, $msg) = run("$ckpt subset --include dense/ $in -o " . shq($out));
ok($rc == 0 && !-e "$out.lock", "a stale lock file is taken over and removed", $msg);

# The single-file writers take the same lock.
open($lock, '>', "$tmp/a.npz.lock") or die;
flock($lock, LOCK_EX) or die "flock: $!";
($rc, $msg) = run("$ckpt export --npz " . shq("$tmp/a.npz") . " $in");
ok(scalar($rc == 2 && $msg =~ /a\.npz\.lock: another ckpt/), "export: a held lock: exit 2",
   "exit $rc", $msg);
close($lock);
done();
