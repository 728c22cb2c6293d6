#!/usr/bin/perl
# Durability of what the writing commands write, watched with strace:
#  - by default every data file and the index are fsynced before they are renamed into place,
#    and the folder after (so that the new names survive a crash too);
#  - with --no-sync nothing is synced, and the output is still complete and verifies;
#  - export's single files are synced too, unless --no-sync.
# Skipped without strace.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip_all done $ckpt $bin shq run);

skip_all('no strace') if system('strace -V >/dev/null 2>&1') != 0;
# LeakSanitizer cannot run under ptrace (make check-san): leaks are checked by the other tests.
$ENV{ASAN_OPTIONS} = join(':', grep { length } $ENV{ASAN_OPTIONS} // '', 'detect_leaks=0');
my $tmp = tempdir("ckpt-sync.XXXXXX", TMPDIR => 1, CLEANUP => 1);
system("$bin/mkckpt all " . shq("$tmp/gen") . " >/dev/null") == 0 or die "mkckpt failed";
my $two = "$tmp/gen/twoshards/model";
my $sample = "$tmp/gen/sample/model.ckpt-1000";

# Run ckpt under strace; returns (exit status, output on one line, [paths synced, in order]).
sub traced {
	my (@argv) = @_;
	my $log = "$tmp/strace.log";
	my ($rc, $out) = run("strace -f -qq -y -o " . shq($log) . " -e trace=fsync,fdatasync " .
			     "$ckpt @argv");
	open(my $h, '<', $log) or die "$log: $!\n";
	my @synced;
	while (<$h>) {
		push @synced, $1 if /\b(?:fsync|fdatasync)\(\d+<([^>]*)>\)\s*=\s*0/;
	}
	close($h);
	$out =~ s/\n+/ /g;
	return ($rc, $out, \@synced);
}

# What must be synced: each data file (under its temporary name), the index, the folder.
sub check_synced {
	my ($what, $out, $nshards, $synced) = @_;
	my $dir = dirname($out);
	my @data = grep { m{/[^/]*\.data-\d{5}-of-\d{5}[^/]*$} } @$synced;
	my @index = grep { m{/[^/]*\.index[^/]*$} } @$synced;
	my @folder = grep { $_ eq $dir } @$synced;
	ok(@data >= $nshards && @index >= 1 && @folder >= 1,
	   "$what: $nshards data file(s), the index and the folder synced (" .
	   join(', ', map { s{.*/}{}r } @$synced) . ")");
}

for my $case (
	[ subset => "subset -o OUT " . shq($two), 1 ],  # compacted into one data file
	[ rename => "rename --copy -o OUT --add-prefix r/ " . shq($two), 2 ],
	[ match => "match --apply --copy -o OUT " . shq($two) . " " . shq($two), 2 ],
	[ merge => "merge -o OUT --prefix a/ " . shq($two) . " --prefix b/ " . shq($sample), 1 ],
	[ cast => "cast --to float16 -o OUT " . shq($two), 1 ],
	[ average => "average -o OUT " . shq($sample) . " " . shq("$tmp/gen/sample/model.ckpt-500"), 1 ],
) {
	my ($name, $args, $nshards) = @$case;
	my $out = "$tmp/out-$name/model";
	my $cmd = $args =~ s/OUT/shq($out)/er;
	my ($rc, $msg, $synced) = traced($cmd);
	ok($rc == 0, "$name: writes ($msg)");
	check_synced($name, $out, $nshards, $synced);
	($rc, $msg, $synced) = traced("$cmd --force --no-sync");
	ok($rc == 0 && !@$synced, "$name --no-sync: nothing synced (" . scalar(@$synced) . " calls)");
	($rc, $msg) = run("$ckpt verify " . shq($out));
	ok($rc == 0, "$name --no-sync: the output is whole ($msg)" =~ s/\n+/ /gr);
}

# import and export round trip, synced.
{
	my $npz = "$tmp/x.npz";
	my ($rc, $msg, $synced) = traced("export --npz " . shq($npz) . " " . shq($sample));
	ok($rc == 0 && grep({ m{/x\.npz} } @$synced), "export: the .npz synced ($msg)");
	my $out = "$tmp/out-import/model";
	($rc, $msg, $synced) = traced("import -o " . shq($out) . " " . shq($npz));
	ok($rc == 0, "import: writes ($msg)");
	check_synced('import', $out, 1, $synced);
	($rc, $msg, $synced) = traced("import -f --no-sync -o " . shq($out) . " " . shq($npz));
	ok($rc == 0 && !@$synced, "import --no-sync: nothing synced");
	# export --no-sync, to either format: nothing synced, and the file is whole.
	for my $fmt ('npz', 'safetensors') {
		my $f = "$tmp/nosync.$fmt";
		($rc, $msg, $synced) = traced("export --no-sync --$fmt " . shq($f) . " " . shq($sample));
		ok($rc == 0 && !@$synced, "export --$fmt --no-sync: nothing synced (" .
		   join(', ', map { s{.*/}{}r } @$synced) . ")");
		($rc, $msg) = run("$ckpt import -f -o " . shq("$tmp/nosync-$fmt/model") . " " . shq($f) .
				  " && $ckpt diff " . shq("$tmp/nosync-$fmt/model") . " " . shq($sample));
		ok($rc == 0, "export --$fmt --no-sync: the file is whole ($msg)" =~ s/\n+/ /gr);
	}
}
# A folder that cannot be synced after the rename is an error like any other failed fsync, in
# each of the three writers (checkpoint, single file, state file): EIO is injected into the
# last fsync, which must be the folder's.
if (system('strace -e inject=fsync:error=EIO:when=1 -o /dev/null true 2>/dev/null') != 0) {
	ok(1, "# SKIP this strace cannot inject faults");
} else {
	my $n = 0;
	for my $case (
		[ 'subset (the checkpoint)' => "subset -o OUT " . shq($sample) ],
		[ 'export (one file)' => "export --npz OUT.npz " . shq($sample) ],
		[ 'subset --update-state (the state file)' => "subset --update-state -o OUT " .
		  shq($sample) ],
	) {
		my ($what, $args) = @$case;
		my $out = "$tmp/eio" . $n++ . "/model";
		mkdir dirname($_) for $out, "$tmp/eio$n/model";  # export makes no folder
		my ($rc, $msg, $synced) = traced($args =~ s/OUT/shq($out)/ger);
		my $dir = dirname($out);
		ok($rc == 0 && @$synced && $synced->[-1] eq $dir,
		   "$what: the folder is synced last ($msg; " . join(', ', @$synced) . ")");
		my $again = "$tmp/eio" . $n++ . "/model";
		($rc, $msg) = run("strace -f -qq -o /dev/null -e trace=fsync " .
				  "-e inject=fsync:error=EIO:when=" . scalar(@$synced) . " $ckpt " .
				  ($args =~ s/OUT/shq($again)/ger));
		ok($rc == 2 && $msg =~ /fsync/ && $msg =~ /Input\/output error|I\/O error/,
		   "$what: a failed folder fsync fails the command ($rc: $msg)" =~ s/\n+/ /gr);
	}
}
done();
