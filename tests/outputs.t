#!/usr/bin/perl
# No writer replaces a file of its own inputs, with or without --force: not by the same name,
# not through a symbolic link, not as another hard link to the same file. Every command that
# writes is tried; each time the command must exit 2 with a message saying so, and the input
# must still verify afterwards.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip_all done $ckpt $bin shq run);

my $tmp = tempdir("ckpt-outputs.XXXXXX", TMPDIR => 1, CLEANUP => 1);
system("$bin/mkckpt all " . shq("$tmp/gen") . " >/dev/null") == 0 or die "mkckpt failed";

my $n = 0;
# A fresh copy of the sample checkpoint in its own folder; returns (folder, prefix).
sub fresh {
	my $dir = "$tmp/case" . $n++;
	system("cp -r " . shq("$tmp/gen/sample") . " " . shq($dir)) == 0 or die "cp failed";
	return ($dir, "$dir/model.ckpt-1000");
}

sub refused {
	my ($what, $cmd, $ck) = @_;
	my ($rc, $out) = run($cmd);
	ok(scalar($rc == 2 && $out =~ /never writes over its inputs/), "$what: refused", "exit $rc", $out);
	my ($vrc, $vout) = run("$ckpt verify " . shq($ck));
	ok($vrc == 0, "$what: the input still verifies", $vout);
}

# Each case on its own copy: a failure must not hide the next one.
my @files = (
	[ "export -f --npz DATA", sub { "export -f --npz " . shq("$_[1].data-00000-of-00001") } ],
	[ "export --npz DATA (no -f)", sub { "export --npz " . shq("$_[1].data-00000-of-00001") } ],
	[ "export -f --safetensors INDEX", sub { "export -f --safetensors " . shq("$_[1].index") } ],
	[ "export -f --npz through a symlink", sub {
		symlink("$_[1].data-00000-of-00001", "$_[0]/link.npz") or die "symlink: $!";
		"export -f --npz " . shq("$_[0]/link.npz") } ],
	[ "export -f --safetensors to a hard link of the index", sub {
		link("$_[1].index", "$_[0]/hard.safetensors") or die "link: $!";
		"export -f --safetensors " . shq("$_[0]/hard.safetensors") } ],
);
for my $case (@files) {
	my ($d, $m) = fresh();
	refused($case->[0], "$ckpt " . $case->[1]->($d, $m) . " " . shq($m), $m);
}
{
	my ($d, $m) = fresh();
	refused("show --force --npy INDEX",
		"$ckpt show --force --npy " . shq("$m.index") . " " . shq($m) . " global_step", $m);
}

# The checkpoint writers: an output prefix whose index or data file is one of the input's.
my %cmd = (
	rename => "rename -f --copy --add-prefix x/ %s -o %s",
	subset => "subset -f --include dense %s -o %s",
	merge => "merge -f %s -o %s",
	cast => "cast -f --to float16 %s -o %s",
	average => "average -f %s " . shq("$tmp/gen/sample/model.ckpt-500") . " -o %s",
);
for my $c (sort keys %cmd) {
	for my $how ('index symlink', 'index hard link', 'data symlink') {
		my ($dd, $mm) = fresh();
		if ($how eq 'index symlink') {
			symlink("$mm.data-00000-of-00001", "$dd/out.index") or die "symlink: $!";
		} elsif ($how eq 'index hard link') {
			link("$mm.data-00000-of-00001", "$dd/out.index") or die "link: $!";
		} else {
			symlink("$mm.index", "$dd/out.data-00000-of-00001") or die "symlink: $!";
		}
		refused("$c -f, output's $how to an input file",
			"$ckpt " . sprintf($cmd{$c}, shq($mm), shq("$dd/out")), $mm);
	}
}

# import: the output's index is a link to the .npz being imported.
my ($id) = fresh();
my ($rc, $out) = run("$ckpt export --npz " . shq("$id/a.npz") . " " . shq("$tmp/gen/sample"));
ok($rc == 0, "export for import", $out);
symlink("$id/a.npz", "$id/out.index") or die "symlink: $!";
($rc, $out) = run("$ckpt import -f " . shq("$id/a.npz") . " -o " . shq("$id/out"));
ok(scalar($rc == 2 && $out =~ /never writes over its inputs/), "import -f, output's index a link to the input",
   "exit $rc", $out);
ok(-l "$id/out.index" && -s "$id/a.npz", "import: the link and the input are left alone");

# A data file that is another hard link to an input's is only ever replaced by a rename, which
# leaves the input's name and bytes alone: rename -f replaces its own earlier output, whose data
# files share the input's by hard link, and the input still verifies.
my ($hd, $hm) = fresh();
($rc, $out) = run("$ckpt rename -o " . shq("$hd/out") . " --add-prefix a/ " . shq($hm) .
		  " && $ckpt rename -f -o " . shq("$hd/out") . " --add-prefix b/ " . shq($hm) .
		  " && $ckpt verify " . shq($hm) . " && $ckpt list " . shq("$hd/out"));
ok(scalar($rc == 0 && $out =~ m{b/global_step}), "rename -f over its earlier hard-linked output", $out);

# Ordinary outputs still work, and --force still replaces an ordinary file.
my ($od, $om) = fresh();
($rc, $out) = run("$ckpt export --npz " . shq("$od/x.npz") . " " . shq($om) .
		  " && $ckpt export -f --npz " . shq("$od/x.npz") . " " . shq($om));
ok($rc == 0, "export -f over an ordinary file", $out);
done();
