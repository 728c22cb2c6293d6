#!/usr/bin/perl
# The architecture, checked: the library (libckpt.a: all of src/ but main.c, cli.c, output.c
# and cmd_*.c) never prints or exits, so none of its objects references stdout, stderr, exit
# or getopt_long; that is what `nm -u` shows of each member.
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

done();
