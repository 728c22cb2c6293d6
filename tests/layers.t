#!/usr/bin/perl
# The architecture, checked: the library (libckpt.a: all of src/ but main.c, cli.c, output.c
# and cmd_*.c) never prints or exits, so none of its objects references stdout, stderr, exit
# or getopt_long; that is what `nm -u` shows of each member. And no two files of src/ depend
# on each other in a loop: module X (X.c and X.h) depends on Y when it includes "Y.h"; every
# module has a layer in src/README.md's table and includes nothing from a layer above. And no
# function of src/ runs over 120 lines unless the comment above it says why, with "Long:".
#
#   LIBCKPT=path/libckpt.a perl tests/layers.t    check another build's archive
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use Tap qw(ok skip done $root $ckpt $bin);

my @banned = qw(stdout stderr exit getopt_long);

# ---- the library archive references no stdout, stderr, exit, getopt_long ----
my ($lib) = grep { -f } ($ENV{LIBCKPT} // ()), dirname($bin) . '/libckpt.a',
    dirname($ckpt) . '/libckpt.a', "$root/build/libckpt.a";
if (!$lib) {
	skip('no libckpt.a built', 'library references no stdout/stderr/exit/getopt_long');
} elsif (system('nm --version >/dev/null 2>&1') != 0) {
	skip('no nm', 'library references no stdout/stderr/exit/getopt_long');
} else {
	my (%bad, $member);
	for (`nm -u '$lib'`) {
		if (/^(?:.*\()?([\w.+-]+\.o)\)?:$/) {
			$member = $1;
		} elsif (/^\s*U\s+(\w+)/ && grep { $_ eq $1 } @banned) {
			push @{$bad{$member // '?'}}, $1;
		}
	}
	ok(!%bad, "library ($lib) references no " . join('/', @banned),
	   map { "$_ uses @{$bad{$_}}" } sort keys %bad);
}

# ---- no include loops between modules ----
my (%dep, %module);
for my $f (glob "$root/src/*.[ch]") {
	my ($m) = $f =~ m{([^/]+)\.[ch]$};
	$module{$m} = 1;
	open my $fh, '<', $f or die "$f: $!";
	while (<$fh>) {
		$dep{$m}{$1} = 1 if /^\s*#\s*include\s+"([^"\/]+)\.h"/ && $1 ne $m;
	}
}
# Strongly connected components (Tarjan): each with more than one module is a loop.
my ($next, @stack, %on, %index, %low, @loops) = (0);
my $visit;
$visit = sub {
	my ($v) = @_;
	$index{$v} = $low{$v} = $next++;
	push @stack, $v;
	$on{$v} = 1;
	for my $w (sort keys %{$dep{$v} // {}}) {
		if (!exists $index{$w}) {
			$visit->($w);
			$low{$v} = $low{$w} if $low{$w} < $low{$v};
		} elsif ($on{$w}) {
			$low{$v} = $index{$w} if $index{$w} < $low{$v};
		}
	}
	return if $low{$v} != $index{$v};
	my @c;
	while (1) {
		my $w = pop @stack;
		$on{$w} = 0;
		push @c, $w;
		last if $w eq $v;
	}
	push @loops, join(' <-> ', sort @c) if @c > 1;
};
$visit->($_) for grep { !exists $index{$_} } sort keys %dep;
ok(keys %dep > 10 && !@loops, 'no include loops between the modules of src/',
   map { "loop: $_" } @loops);

# ---- includes go down the layers drawn in src/README.md ----
# Its table: | `folder/` | module, module, cmd_* ... | what they know |, bottom layer first.
my (%rank, @names);
{
	open my $fh, '<', "$root/src/README.md" or die "src/README.md: $!";
	while (<$fh>) {
		next unless /^\| `(\w+)\/` \| ([^|]+) \|/;
		push @names, $1;
		for my $m ($2 =~ /\b(\w+\*?)/g) {
			next if $m =~ /^(and|the|protobuf|code|in|build|gen|today|writers|own|temp|files)$/;
			$rank{$m} = $#names;
		}
	}
}
# The one include allowed up a layer (src/README.md says why).
my %up_ok = map { $_ => 1 } qw(outguard>bundle outguard>v1);
my (@unlisted, @up);
for my $m (sort keys %module) {
	my $r = $rank{$m} // ($m =~ /^cmd_/ ? $rank{'cmd_*'} : undef);
	if (!defined $r) {
		push @unlisted, $m;
		next;
	}
	for my $d (sort keys %{$dep{$m} // {}}) {
		my $rd = $rank{$d} // ($d =~ /^cmd_/ ? $rank{'cmd_*'} : undef);
		push @up, "$m ($names[$r]) includes $d.h ($names[$rd])"
		    if defined $rd && $rd > $r && !$up_ok{"$m>$d"};
	}
}
ok(@names >= 5 && !@unlisted, 'src/README.md places every module in a layer',
   map { "not in src/README.md's table: $_" } @unlisted);
ok(@names >= 5 && !@up, 'no module includes the header of a layer above its own',
   map { "up: $_" } @up);

# ---- no function over 120 lines without a reason ----
# Functions waiting to be split, by "file:function" (none today): a function leaves the list
# when it is split, and the list must not hide one that is no longer long.
my %pending = ();
my (@long, %seen);
for my $f (glob "$root/src/*.c") {
	my ($file) = $f =~ m{([^/]+)$};
	open my $fh, '<', $f or die "$f: $!";
	my @l = <$fh>;
	my ($start, $name, $why);
	for my $i (0 .. $#l) {
		if ($l[$i] =~ /^\{/) {
			# The signature: back to the line that starts at column 0 with its name.
			my $j = $i - 1;
			$j-- while $j > 0 && $l[$j] !~ /^\w.*\(/;
			($name) = $l[$j] =~ /(\w+)\s*\(/;
			# The comment just above it.
			my $k = $j - 1;
			my $comment = '';
			$comment = $l[$k--] . $comment while $k >= 0 && $l[$k] =~ m{^\s*(/\*|\*|.*\*/\s*$)};
			($start, $why) = ($i, $comment =~ /\bLong:/);
		} elsif ($l[$i] =~ /^\}/ && defined $start) {
			my $n = $i - $start + 1;
			$seen{"$file:$name"} = 1 if $n > 120;
			push @long, "$file:$name ($n lines)"
			    if $n > 120 && !$why && !$pending{"$file:$name"};
			undef $start;
		}
	}
}
ok(!@long, 'no function of src/ over 120 lines without a reason ("Long:" above it)',
   map { "too long: $_" } @long);
ok(!grep({ !$seen{$_} } keys %pending), 'every function waiting to be split is still long',
   map { "split or gone (drop it from %pending): $_" } grep { !$seen{$_} } sort keys %pending);

done();
