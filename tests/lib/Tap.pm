# Tap: the few TAP helpers the perl tests share: ok() with diagnostics on failure, todo() for
# a known bug in code the test does not own, and done() for the plan and exit status.
package Tap;

use strict;
use warnings;
use Exporter qw(import);

our @EXPORT_OK = qw(ok todo done);

my ($n, $failed, $todo) = (0, 0, undef);
# Lines printed under every failure, e.g. the last command's output (set by the test).
our $context = sub { () };

sub todo { $todo = shift }

sub ok {
	my ($cond, $name, @diag) = @_;
	my $t = $todo;
	undef $todo;
	$n++;
	print(($cond ? 'ok' : 'not ok') . " $n - $name" . ($t ? " # TODO $t" : '') . "\n");
	return 1 if $cond;
	$failed++ unless $t;
	print "#   $_\n" for @diag, $context->();
	return 0;
}

sub done {
	print "1..$n\n";
	exit($failed ? 1 : 0);
}

1;
