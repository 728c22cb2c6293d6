#!/usr/bin/perl
# Mutation sweep: bit-flipped, byte-set, truncated, spliced, shifted and zeroed variants of
# real fixture (.index, .data-*, V1, state) files and of generated checkpoints, each run
# through `ckpt list` and in turn through show --stats, verify, diff and subset. Every run must
#   - use at most MUTATE_TIME_LIMIT seconds of CPU (1; a hang is killed after 30 s),
#   - exit 0, 1 or 2, never by a signal, and with a `ckpt: ...` message on stderr when 2,
#   - print no sanitizer report;
# and a failed subset must leave nothing under its output name, nor temporary files.
#
#   MUTATE_COUNT=N   variants in all (default 2000; the CPU time scales with it)
#   MUTATE_SEED=S    the random seed (default 1): a failure names its seed and variant
#   MUTATE_KEEP=DIR  copy every failing variant there
use strict;
use warnings;
use File::Basename qw(dirname basename);
use File::Copy qw(copy);
use File::Find;
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use POSIX qw(WIFSIGNALED WTERMSIG WEXITSTATUS);

my $root = dirname(dirname(__FILE__));
my $ckpt = $ENV{CKPT} || "$root/ckpt";
my $bin = $ENV{TESTBIN} || "$root/build/tests";
my $fix = $ENV{CKPT_FIXTURES} || "$root/../shared/fixtures/tf";
my $count = $ENV{MUTATE_COUNT} // 2000;
my $seed = $ENV{MUTATE_SEED} // 1;
my $limit = $ENV{MUTATE_TIME_LIMIT} // 1.0;
my $keep = $ENV{MUTATE_KEEP};
srand($seed);

# On tmpfs when there is one: subset's fsyncs then cost nothing and timings stay honest.
my $tmp = $ENV{TMPDIR} || (-d '/dev/shm' && -w '/dev/shm' ? '/dev/shm' : '/tmp');
my $scratch = tempdir('ckpt-mutate.XXXXXX', DIR => $tmp, CLEANUP => 1);
system("$bin/mkckpt", 'all', "$scratch/gen") == 0 or do { print "Bail out! mkckpt failed\n"; exit 1 };

# ---- subjects: a folder copied to orig/ and mut/, and the argument naming the checkpoint ----
my @subjects;
sub subject {
	my ($name, $files, $arg) = @_;  # files: [source path, name in the folder]
	my $i = @subjects;
	for my $side (qw(orig mut)) {
		make_path("$scratch/s$i/$side");
		for my $f (@$files) {
			copy($f->[0], "$scratch/s$i/$side/$f->[1]") or die "$f->[0]: $!\n";
		}
	}
	# Data complete: every shard an index's file names declare is there ("-of-N").
	my $full = 1;
	for my $f (grep { /\.index$/ } map { $_->[1] } @$files) {
		(my $p = $f) =~ s/\.index$//;
		my @d = grep { index($_->[1], "$p.data-") == 0 } @$files;
		my ($n) = @d ? $d[0][1] =~ /-of-(\d+)$/ : (1);
		$full = 0 if @d != $n || grep { -z $_->[0] } @d;  # an empty placeholder data file
	}
	push @subjects, { name => $name, dir => "$scratch/s$i", arg => $arg, full => $full,
			  files => [map { $_->[1] } @$files] };
}

sub bundle_files {
	my $prefix = shift;
	my @f = ["$prefix.index", basename("$prefix.index")];
	push @f, [$_, basename($_)] for sort glob("$prefix.data-*");
	return \@f;
}

# Real fixtures: the small checkpoints (index <= 16 KiB, data <= 512 KiB), V1 tables, state files.
my (@real, @v1, @state);
if (-d $fix) {
	find({ no_chdir => 1, wanted => sub {
		return unless -f $_;
		if (/\.index$/ && -s $_ <= 16384) {
			(my $p = $_) =~ s/\.index$//;
			my $data = 0;
			$data += -s $_ for glob("$p.data-*");
			push @real, $p if $data <= 524288;
		}
		push @v1, $_ if m{/export(-\d{5}-of-\d{5})?$} && -s $_ < 65536;
		push @state, $_ if m{/checkpoint$} && -s $_ < 4096;
	} }, $fix);
}
@real = sort @real;
# Spread over the whole collection: at most 14 of them.
my $step = @real > 14 ? @real / 14 : 1;
for (my $k = 0; $k < @real; $k += $step) {
	my $p = $real[int $k];
	(my $short = $p) =~ s{^\Q$fix\E/}{};
	subject("fix:$short", bundle_files($p), basename($p));
}
for my $f (sort @v1) {
	(my $short = $f) =~ s{^\Q$fix\E/}{};
	subject("fix:$short", [[$f, basename($f)]], basename($f));
}
# A real state file beside a generated checkpoint under the base name it names (found by
# the resolver's fallback when the stored path is absolute or from another machine).
for my $f ((sort @state)[0 .. 2]) {
	next unless defined $f;
	(my $short = $f) =~ s{^\Q$fix\E/}{};
	my ($want) = slurp($f) =~ /^model_checkpoint_path:\s*"([^"]*)"/m;
	next unless defined $want;
	(my $base = $want) =~ s{.*[/\\]}{};
	my $src = "$scratch/gen/sample/model.ckpt-1000";
	my @files = map { (my $n = basename($_->[1])) =~ s/^model\.ckpt-1000/$base/; [$_->[0], $n] }
		@{ bundle_files($src) };
	subject("fix:$short", [[$f, 'checkpoint'], @files], '.');
}
# Generated sets: every dtype, partitioned, hostile names, two shards, V1, a folder with state.
for my $p (qw(dtypes/ckpt partitioned/ckpt names/ckpt twoshards/model)) {
	subject("gen:$p", bundle_files("$scratch/gen/$p"), basename($p)) if -f "$scratch/gen/$p.index";
}
if (-d "$scratch/gen/v1") {
	for my $f (sort glob("$scratch/gen/v1/*")) {
		next unless -f $f && -s $f < 65536;
		subject("gen:v1/" . basename($f), [[$f, basename($f)]], basename($f));
	}
}
subject('gen:sample', [map { [$_, basename($_)] } grep { -f } sort glob("$scratch/gen/sample/*")], '.');

# Splice material: every file of every subject.
my @pool;
for my $s (@subjects) {
	push @pool, map { "$s->{dir}/orig/$_" } @{ $s->{files} };
}

sub slurp { open(my $h, '<:raw', $_[0]) or die "$_[0]: $!\n"; local $/; my $s = <$h>; $s // '' }
sub spew { open(my $h, '>:raw', $_[0]) or die "$_[0]: $!\n"; print $h $_[1]; close $h or die; }

# ---- mutations ----
my @interesting = (0x00, 0xff, 0x80, 0x7f, 0x01, 0xfe);
sub pos_in {
	my ($len, $tail) = @_;
	# Footers, trailers and checksums sit at the end of files: aim there a third of the time.
	return $len - 1 - int(rand($len < 64 ? $len : 64)) if $tail && rand() < 0.33;
	return int(rand($len));
}
sub mutate {
	my ($s, $file) = @_;
	my $len = length $s;
	my $tail = $file =~ /\.index$|export|\/v1\//;
	my $r = int(rand(9));
	return ('empty', '') if !$len;
	if ($r <= 1) {
		my $n = 1 + int(rand(4));
		my @at;
		for (1 .. $n) {
			my $p = pos_in($len, $tail);
			vec($s, $p * 8 + int(rand(8)), 1) ^= 1;
			push @at, $p;
		}
		return ("flip bits at @at", $s);
	}
	if ($r == 2) {
		my $p = pos_in($len, $tail);
		my $v = rand() < 0.7 ? $interesting[rand @interesting] : int(rand(256));
		substr($s, $p, 1) = chr $v;
		return (sprintf("byte %d = 0x%02x", $p, $v), $s);
	}
	if ($r == 3) {
		my $n = int(rand($len));
		return ("truncate to $n", substr($s, 0, $n));
	}
	if ($r == 4) {
		my $src = $pool[rand @pool];
		my $t = slurp($src);
		return ('no splice material', $s) unless length $t;
		my $n = 1 + int(rand(length($t) < 256 ? length($t) : 256));
		my $from = int(rand(length($t) - $n + 1));
		my $p = pos_in($len, $tail);
		substr($s, $p, $n > $len - $p ? $len - $p : $n) = substr($t, $from, $n);
		return ("splice $n bytes of " . basename($src) . "\@$from at $p", $s);
	}
	if ($r == 5) {
		my $p = int(rand($len));
		my $n = 1 + int(rand(16));
		substr($s, $p, 0) = join('', map { chr(int(rand(256))) } 1 .. $n);
		return ("insert $n bytes at $p", $s);
	}
	if ($r == 6) {
		my $p = int(rand($len));
		my $n = 1 + int(rand(32));
		substr($s, $p, $n) = '';
		return ("delete $n bytes at $p", $s);
	}
	if ($r == 7) {
		# A run of 0xff: a varint that never ends, lengths and handles near 2^64.
		my $p = pos_in($len, $tail);
		my $n = 1 + int(rand(12));
		substr($s, $p, $n) = "\xff" x $n;
		return ("0xff x $n at $p", $s);
	}
	my $p = pos_in($len, $tail);
	my $n = 1 + int(rand(64));
	substr($s, $p, $n) = "\0" x ($n > $len - $p ? $len - $p : $n);
	return ("zero $n bytes at $p", $s);
}

# ---- running ----
# Runs a command; returns its exit code and the CPU seconds (user + system) it used: CPU time
# measures the work a variant causes even on a machine busy with other jobs, where wall time
# does not. The wall clock (timeout) only catches a hang, which shows as exit 124 or 137.
sub run {
	my ($errfile, @cmd) = @_;
	my (undef, undef, $cu0, $cs0) = times;
	my $pid = fork;
	die "fork: $!\n" unless defined $pid;
	if (!$pid) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', $errfile);
		exec('timeout', '-k', '1', '30', @cmd) or exit 127;
	}
	waitpid($pid, 0);
	my $st = $?;
	my $code = WIFSIGNALED($st) ? 128 + WTERMSIG($st) : WEXITSTATUS($st);
	my (undef, undef, $cu1, $cs1) = times;
	return ($code, ($cu1 - $cu0) + ($cs1 - $cs0));
}

my @cmds = qw(list show verify diff subset);
my %runs = map { $_ => 0 } @cmds;

# The command line of command c on subject s (its mutated copy).
sub argv_of {
	my ($c, $s, $which) = @_;
	my $arg = "$s->{dir}/$which/$s->{arg}";
	return ('show', '--stats', '--match', '.', $arg) if $c eq 'show';
	return ('diff', "$s->{dir}/orig/$s->{arg}", $arg) if $c eq 'diff';
	return ('subset', '-o', "$scratch/out/o", $arg) if $c eq 'subset';
	return ($c, $arg);
}

# Baseline: every command succeeds on every unmutated subject, or the sweep would only
# be testing usage errors.
my @baseline;
for my $s (@subjects) {
	for my $c ($s->{full} ? @cmds : 'list') {
		remove_tree("$scratch/out");
		make_path("$scratch/out");
		my @argv = argv_of($c, $s, 'orig');
		my ($code) = run("$scratch/stderr", $ckpt, @argv);
		push @baseline, "$s->{name}: ckpt @argv: exit $code" if $code != 0;
	}
}
my (%bad, %variants, @fail);
my $errfile = "$scratch/stderr";
my $slowest = 0;

sub check {
	my ($s, $what, $desc, $cmdline, $code, $dt) = @_;
	my $err = -f $errfile ? slurp($errfile) : '';
	my @why;
	push @why, "exit $code" if $code > 2;
	push @why, sprintf('took %.2f s', $dt) if $dt > $limit;
	push @why, 'exit 2 without a "ckpt: " message' if $code == 2 && $err !~ /^ckpt: /m;
	push @why, 'sanitizer report' if $err =~ /Sanitizer|runtime error:/;
	$slowest = $dt if $dt > $slowest;
	return 1 unless @why;
	$bad{ $s->{name} }++;
	(my $e1 = $err) =~ s/\n.*//s;
	push @fail, "$s->{name}: $what ($desc): $cmdline: @why; stderr: $e1" if @fail < 30;
	return 0;
}

for my $v (1 .. $count) {
	my $s = $subjects[($v - 1) % @subjects];
	my $dir = $s->{dir};
	my @files = @{ $s->{files} };
	# Index and table files carry the structure: mutate them twice as often as data.
	my @weighted = map { /\.data-/ ? ($_) : ($_, $_) } @files;
	my $f = $weighted[rand @weighted];
	my ($desc, $bytes) = mutate(slurp("$dir/orig/$f"), $f);
	spew("$dir/mut/$f", $bytes);
	$variants{ $s->{name} }++;
	# Index-only fixtures (data files not published) go through list alone.
	my $other = $cmds[1 + ($v - 1) % (@cmds - 1)] if @cmds > 1 && $s->{full};
	my $ok = 1;
	for my $c ('list', defined $other ? $other : ()) {
		my @argv = argv_of($c, $s, 'mut');
		my $out = "$scratch/out/o";
		if ($c eq 'subset') {
			remove_tree("$scratch/out");
			make_path("$scratch/out");
		}
		my ($code, $dt) = run($errfile, $ckpt, @argv);
		$runs{$c}++;
		$ok &= check($s, $f, $desc, "ckpt @argv", $code, $dt);
		if ($c eq 'subset') {
			my @left = grep { !/\/o\.(index|data-\d+-of-\d+)$/ } glob("$scratch/out/*");
			if ($code != 0 && -e "$out.index") {
				$ok = 0;
				push @fail, "$s->{name}: $f ($desc): subset failed (exit $code) but left $out.index";
			}
			if (@left) {
				$ok = 0;
				push @fail, "$s->{name}: $f ($desc): subset left " . join(' ', map { basename($_) } @left);
			}
			if ($code == 0) {
				my ($c2, $dt2) = run($errfile, $ckpt, 'list', $out);
				$runs{list}++;
				$ok &= check($s, $f, $desc, "ckpt list (subset output)", $c2, $dt2);
				if ($c2 != 0) {
					$ok = 0;
					push @fail, "$s->{name}: $f ($desc): subset output does not list (exit $c2)";
				}
			}
		}
	}
	if (!$ok && $keep) {
		make_path("$keep/$v");
		system('cp', '-a', "$dir/mut/.", "$keep/$v/");
	}
	copy("$dir/orig/$f", "$dir/mut/$f") or die "$f: $!\n";
}

my $n = 1;
if (@baseline) {
	print "not ok 1 - every command succeeds on the unmutated inputs\n";
	print "#   $_\n" for @baseline;
} else {
	print "ok 1 - every command succeeds on the unmutated inputs (@cmds)\n";
}
for my $s (@subjects) {
	$n++;
	my $v = $variants{ $s->{name} } // 0;
	if ($bad{ $s->{name} }) {
		print "not ok $n - $s->{name}: $bad{$s->{name}} of $v variants misbehaved\n";
	} else {
		print "ok $n - $s->{name}: $v variants\n";
	}
}
print "#   $_\n" for @fail;
my $total = 0;
$total += $_ for values %runs;
printf "# %d variants of %d subjects (seed %d), %d runs: %s; slowest %.3f s\n", $count,
	scalar @subjects, $seed, $total, join(', ', map { "$_ $runs{$_}" } @cmds), $slowest;
print "1..$n\n";
exit(@fail || @baseline ? 1 : 0);
