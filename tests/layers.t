#!/usr/bin/perl
# The architecture, checked: the library (libckpt.a: every layer folder of src/ but cli/) never
# prints or exits, so none of its objects references stdout, stderr, exit or getopt_long; that
# is what `nm -u` shows of each member. Each folder of src/ is a layer (src/README.md's table,
# bottom up): a module (X.c and X.h) includes nothing from a folder above its own, and no two
# modules include each other in a loop (X depends on Y when it includes "layer/Y.h"). And no
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
for my $f (glob "$root/src/*/*.[ch]") {
	my ($layer, $m) = $f =~ m{/src/(\w+)/([^/]+)\.[ch]$};
	$module{$m} = $layer;
	open my $fh, '<', $f or die "$f: $!";
	while (<$fh>) {
		$dep{$m}{$1} = 1 if /^\s*#\s*include\s+"\w+\/(\w+)\.h"/ && $1 ne $m;
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

# ---- no reader outside store/ reaches a file by its path itself ----
# Every input is opened, read, stat()ed and listed through store/file.h (so that a URL is read
# the way a local file is), and every output is written through store/outfile.h. So no library
# member outside store/ calls open, stat, opendir, glob or pread (what `nm -u` shows); the one
# exception, by name: util's pread_full, a loop over a descriptor its caller already holds
# (fortran's scratch file), not a path.
{
	my @io = qw(open open64 openat openat64 __open_2 __open64_2 fopen fopen64 opendir fdopendir
		    stat stat64 lstat lstat64 fstatat fstatat64 __xstat __xstat64 __lxstat __lxstat64
		    glob glob64 pread pread64);
	my %io_ok = ('util.o' => { pread => 1 });
	if (!$lib || system('nm --version >/dev/null 2>&1') != 0) {
		skip('no libckpt.a or nm', 'library members outside store/ open, stat and read no path');
	} else {
		my (%bad, $member);
		for (`nm -u '$lib'`) {
			if (/^(?:.*\()?([\w.+-]+\.o)\)?:$/) {
				$member = $1;
			} elsif (/^\s*U\s+(\w+)/ && grep({ $_ eq $1 } @io) && defined $member) {
				my $sym = $1;
				my $m = $member =~ s/\.o$//r;
				next if ($module{$m} // '') eq 'store' || $io_ok{$member}{$sym};
				push @{$bad{$member}}, $sym;
			}
		}
		ok(keys %module > 10 && !%bad,
		   'library members outside store/ open, stat, list and read no path themselves',
		   map { "$_ calls @{$bad{$_}} (go through store/file.h or store/outfile.h)" }
		   sort keys %bad);
	}
}

# ---- includes go down the layers drawn in src/README.md ----
# Its table: | `folder/` | module, module, cmd_* ... | what they know |, bottom layer first. The
# folders are the truth; the table must agree with them, so that the page a newcomer reads is
# the tree.
my (%rank, %listed, @names);
{
	open my $fh, '<', "$root/src/README.md" or die "src/README.md: $!";
	while (<$fh>) {
		next unless /^\| `(\w+)\/` \| ([^|]+) \|/;
		my ($folder, $modules) = ($1, $2);
		push @names, $folder;
		$rank{$folder} = $#names;
		$listed{$_} = $folder for $modules =~ /\b(\w+\*?)/g;
	}
}
# The one include allowed up a layer (src/README.md says why).
my %up_ok = map { $_ => 1 } qw(outguard>bundle outguard>v1);
my (@misplaced, @up);
for my $m (sort keys %module) {
	my $layer = $module{$m};
	my $said = $listed{$m} // ($m =~ /^cmd_/ ? $listed{'cmd_*'} : undef);
	push @misplaced, "src/$layer/$m: " . (!defined $rank{$layer} ? "$layer/ is not a layer of the table"
	    : defined $said ? "the table puts it in $said/" : 'not in the table')
	    if !defined $rank{$layer} || ($said // '') ne $layer;
	for my $d (sort keys %{$dep{$m} // {}}) {
		my $dl = $module{$d} // next;
		push @up, "$m ($layer) includes $d.h ($dl)"
		    if defined $rank{$dl} && defined $rank{$layer} && $rank{$dl} > $rank{$layer}
		    && !$up_ok{"$m>$d"};
	}
}
ok(@names >= 5 && !@misplaced, "src/README.md's table names every module in its folder",
   @misplaced);
ok(@names >= 5 && !@up, 'no module includes the header of a layer above its own',
   map { "up: $_" } @up);

# ---- no function over 120 lines without a reason ----
# Functions waiting to be split, by "file:function" (none today): a function leaves the list
# when it is split, and the list must not hide one that is no longer long.
my %pending = ();
my (@long, %seen);
for my $f (glob "$root/src/*/*.c") {
	my ($file) = $f =~ m{(\w+/[^/]+)$};
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
