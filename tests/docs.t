#!/usr/bin/perl
# Documentation cannot rot: every example in README.md and in the man page's EXAMPLES runs
# here, in order, in a scratch folder holding checkpoints the project generates (README:
# sample/, train/ and finetuned/; the man page: run/), with `ckpt` first on PATH.
#
# README: a fenced block holding lines that start with "$ " is a transcript; each command's
# shown output (stdout and stderr, up to the next "$ " line) must be exactly what it prints.
# A line "..." (maybe indented) in the shown output stands for any number of lines; elapsed times
# ("in 0.02 s") are not compared.
# Man page: each ".Dl $ command" (and each "$ " line of a .Bd -literal display) must succeed:
# exit status 0, or 1 for commands whose 1 means "found differences".
#
#   UPDATE=1 perl tests/docs.t     rewrite README's shown outputs from real runs (review with
#                                  git diff before committing)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use Tap qw(ok done);

my $root = abs_path("$FindBin::Bin/..");
my $ckpt = abs_path($ENV{CKPT} // "$root/ckpt");
my $testbin = $ENV{TESTBIN} // "$root/build/tests";
my $update = ($ENV{UPDATE} // '') eq '1';

my $dir = tempdir('ckpt-docs.XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$dir/$_" or die for qw(work man);
# The commands see `ckpt` as installed: a folder on PATH holding only it.
mkdir "$dir/bin" or die;
symlink($ckpt, "$dir/bin/ckpt") or die "symlink: $!";
# README's examples run in work/, the man page's in man/. README's train/ is a TF1 training
# run with its .meta graph, finetuned/ a checkpoint with other names and shapes.
for my $set (['sample', 'work/sample'], ['sample', 'man/run'], ['graph', 'gen']) {
	my ($what, $where) = @$set;
	system("'$testbin/mkckpt' $what '$dir/$where' >/dev/null") == 0
		or die "mkckpt $what $where failed\n";
}
rename("$dir/gen/graph/run", "$dir/work/train") or die "train: $!";
rename("$dir/gen/graph/ported", "$dir/work/finetuned") or die "finetuned: $!";
# net/: train/'s checkpoint as someone saved it under a scope (README's `ckpt match`).
system("'$ckpt' rename --add-prefix net/ -o '$dir/work/net/model.ckpt' '$dir/work/train' >/dev/null") == 0
	or die "net/: rename failed\n";
$ENV{PATH} = "$dir/bin:$ENV{PATH}";
$ENV{NO_COLOR} = 1;
$ENV{COLUMNS} = 100;
$ENV{HOME} = $dir;
delete $ENV{CKPT_FIXTURES};

sub slurp { local $/; open(my $f, '<', $_[0]) or die "$_[0]: $!"; my $s = <$f>; $s }

# Runs one shell command in the work folder: (output, exit status).
sub run {
	my ($cmd, $in) = @_;
	open(my $fh, '-|', 'bash', '-o', 'pipefail', '-c', "cd '$dir/$in' && { $cmd\n} 2>&1")
		or die "bash: $!";
	my $out = do { local $/; <$fh> } // '';
	close $fh;
	my $status = $? >> 8;
	$out =~ s/ in \d+\.\d\d s\b/ in 0.00 s/g;
	return ($out, $status);
}

# Shown output with "..." lines as wildcards, against what ran.
sub matches {
	my ($want, $got) = @_;
	$want =~ s/ in \d+\.\d\d s\b/ in 0.00 s/g;
	my $re = join('', map { /^\s*\.\.\.$/ ? '(?:.*\n)*?' : quotemeta($_) . '\n' }
		      split /\n/, $want);
	return $got =~ /\A$re\z/ ? 1 : 0;  # a scalar even in list context
}

# ---- README.md ----
my @readme = split /^/m, slurp("$root/README.md");
my ($changed, $in_block, @new) = (0, 0);
for (my $i = 0; $i < @readme; $i++) {
	my $line = $readme[$i];
	push @new, $line;
	if ($line =~ /^```/) {
		$in_block = !$in_block;
		next;
	}
	next unless $in_block && $line =~ /^\$ (.*)/;
	my $cmd = $1;
	while ($cmd =~ s/\\$// && $i + 1 < @readme) {
		$cmd .= "\n" . $readme[++$i];
		chomp $cmd;
		push @new, $readme[$i];
	}
	my $want = '';
	while ($i + 1 < @readme && $readme[$i + 1] !~ /^(\$ |```)/) {
		$want .= $readme[++$i];
	}
	my ($got, $status) = run($cmd, 'work');
	if ($update) {
		# A lone "..." is a request to fill in the output.
		my $keep = matches($want, $got) && $want ne "...\n";
		$changed++ unless $keep;
		push @new, $keep ? $want : $got;
		next;
	}
	push @new, $want;
	ok(matches($want, $got), "README: \$ $cmd",
	   "exit $status; shown:", (map { "  $_" } split /\n/, $want), 'printed:',
	   (map { "  $_" } split /\n/, $got));
}
if ($update && $changed) {
	open(my $f, '>', "$root/README.md") or die;
	print $f @new;
	close $f;
	print "# README.md: $changed outputs rewritten; review with git diff\n";
}

# ---- man/ckpt.1 EXAMPLES ----
my $man = slurp("$root/man/ckpt.1");
my ($examples) = $man =~ /^\.Sh EXAMPLES\n(.*?)^\.Sh /ms;
ok(defined $examples, 'the man page has EXAMPLES');
my @cmds;
my $literal = 0;
for (split /\n/, $examples // '') {
	$literal = 1 if /^\.Bd -literal/;
	$literal = 0 if /^\.Ed/;
	push @cmds, $1 if /^\.Dl \$ (.*)/ || ($literal && /^\$ (.*)/);
}
for my $cmd (@cmds) {
	(my $sh = $cmd) =~ s/\\e/\\/g;
	$sh =~ s/\\-/-/g;
	$sh =~ s/\\&//g;
	my ($got, $status) = run($sh, 'man');
	my $may_differ = $sh =~ /^ckpt (diff|verify|graph --check)/;
	ok($status == 0 || ($status == 1 && $may_differ), "man: \$ $sh",
	   "exit $status; printed:", map { "  $_" } split /\n/, $got);
}
done();
