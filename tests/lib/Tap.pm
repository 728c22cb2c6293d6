# Tap: what the perl tests share, so that each holds only its checks.
#
#   ok($cond, $name, @diag)  one test; on failure prints @diag (and $Tap::context->()) as
#                            "#   " comment lines, one a line of text; returns 1 or 0
#   todo($why)               the next ok() is a known bug in code the test does not own
#   skip($why[, $name])      a test that could not run here ("ok N # SKIP"), counted in the plan
#   skip_all($why)           nothing can run here: plan "1..0 # SKIP $why", exit 0
#   done()                   the plan "1..N"; exit 1 if any test failed, else 0
#
#   $root  the repository, as reached from the current folder
#   $ckpt  $CKPT, else $root/ckpt (absolute)
#   $bin   $TESTBIN, else $root/build/tests: mkckpt and the other test tools (absolute)
#   $fix   $CKPT_FIXTURES, else $root/../shared/fixtures/tf: the real checkpoints
#   shq($s)       $s quoted for sh
#   run(@words)   ($exit_status, stdout and stderr) of the shell command "@words" (quote them)
package Tap;

use strict;
use warnings;
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Spec;

our @EXPORT_OK = qw(ok todo skip skip_all done $root $ckpt $bin $fix shq run);

our $root = dirname(dirname(dirname(__FILE__)));
# Absolute, so that a test may run them from another folder.
our $ckpt = File::Spec->rel2abs($ENV{CKPT} || "$root/ckpt");
our $bin = File::Spec->rel2abs($ENV{TESTBIN} || "$root/build/tests");
our $fix = $ENV{CKPT_FIXTURES} || "$root/../shared/fixtures/tf";

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
	# A command's output spans lines: each gets the "#" that keeps it out of the TAP stream.
	print "#   $_\n" for map { split /\n/ } grep { defined } @diag, $context->();
	return 0;
}

sub skip {
	my ($why, $name) = @_;
	$n++;
	print "ok $n" . (defined $name ? " - $name" : '') . " # SKIP $why\n";
}

sub skip_all {
	print "1..0 # SKIP $_[0]\n";
	exit 0;
}

sub done {
	print "1..$n\n";
	exit($failed ? 1 : 0);
}

sub shq { my $s = shift; $s =~ s/'/'\\''/g; return "'$s'"; }

sub run {
	my $out = qx{@_ 2>&1};
	return ($? >> 8, $out);
}

1;
