#!/usr/bin/perl
# Remote checkpoints (issue 19): generated checkpoints served on 127.0.0.1 over http:// (nginx),
# s3:// (s3rver, signed and anonymous; and tests/tools/faultserver.pl's S3 endpoint, which checks
# every Signature V4 itself and pages its listings) and gs:// (STORAGE_EMULATOR_HOST at nginx,
# which serves the XML API's /BUCKET/KEY paths). Every read command gives the same stdout, stderr
# and exit status for the URL as for the local path (the URL shown where the path was), and
# writers the same files; the servers' logs bound the requests, bytes and connections of list,
# show and verify; a fault server's 5xx, 429, resets, truncated
# and stalled bodies, ignored Ranges and redirects are retried or end in a clear error, never a
# hang (every run has a 20 s limit) or a wrong answer; no credential appears in any output.
# Servers that are not installed (make deps-extra installs them) skip their part, saying so.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Compare qw(compare);
use IO::Uncompress::Unzip qw($UnzipError);
use JSON::PP;
use Time::HiRes qw(time);

use lib dirname(__FILE__) . '/lib';
use Tap qw(skip skip_all done $ckpt $bin $fix);
use Remote qw(tmpdir nginx_start s3rver_start s3_put fault_start mark requests limited);

# Tap's ok with its condition in scalar context: a failed match is false, not an empty list
# that would shift the name into its place.
sub ok($@) { return Tap::ok(@_); }

skip_all("$bin/mkckpt is not built") unless -x "$bin/mkckpt";

# Nothing from the caller's environment may steer a run: no real credentials, endpoints, proxies.
delete $ENV{$_} for grep { /^(AWS_|GOOGLE_|GCE_|STORAGE_EMULATOR_HOST|CKPT_HTTP)|_proxy$|_PROXY$/i } keys %ENV;
$ENV{NO_PROXY} = $ENV{no_proxy} = '127.0.0.1,localhost';
# Fake secrets: given to the runs where they would be used, and looked for in every output.
my %secret = (aws => 'fAkEsEcReT/k3y+Zq9wXv7LmNoP0', token => 'FaKeSeSsIoNtOkEn/5551212',
	      gcs => 'ya29.fAkEgCsToKeN-777', url => 'pAsSwOrD-in-url-31');
my @all_outputs;

my $tmp = tmpdir();
my $root = "$tmp/root";   # what the servers serve: the bucket "ck" is the folder ck/
my $local = "$root/ck";
mkdir $root;
system("$bin/mkckpt sample $local/sample >/dev/null") == 0 or die "mkckpt sample failed\n";
for my $set (qw(twoshards partitioned many v1 graph diffpair match trendrun)) {
	system("$bin/mkckpt $set $local >/dev/null") == 0 or die "mkckpt $set failed\n";
}
# A spelling with characters a URL or an S3 key must encode.
system('cp', '-r', "$local/sample", "$local/my model") == 0 or die "cp failed\n";
# A SavedModel (a real one, from the fixtures, when they are here).
my $saved = "$fix/tensorflow+rust/examples/regression_savedmodel";
my $have_saved = -f "$saved/saved_model.pb" && system('cp', '-r', $saved, "$local/savedmodel") == 0;

# The read commands, PATHs written %REL (a file or folder under ck/); OUT is a fresh output name.
my @cases = (
	['list', '%sample/model.ckpt-500'],
	['list', '--json', '%sample/model.ckpt-1000'],
	['list', '%sample/'],
	['list', '%sample/model.ckpt-500.index'],
	['list', '%sample/model.ckpt-500.data-00000-of-00001'],
	['list', '%my model/model.ckpt-500'],
	['list', '--by-scope', '%many/ckpt'],
	['list', '%twoshards/model'],
	['list', '--json', '%partitioned/ckpt'],
	['list', '%v1/sharded/'],
	['list', '%v1/dtypes'],
	['show', '%sample/model.ckpt-500', 'dense/bias'],
	['show', '--json', '%sample/model.ckpt-1000', 'dense_1/kernel', 'global_step'],
	['show', '--stats', '--match', '.', '%sample/model.ckpt-1000'],
	['show', '--stats', '--match', '.', '%partitioned/ckpt'],
	['show', '%v1/dtypes', '--match', '.'],
	['verify', '%sample/model.ckpt-1000'],
	['verify', '%twoshards/model'],
	['verify', '%partitioned/ckpt'],
	['verify', '%many/ckpt'],
	['verify', '%v1/sharded/'],
	['diff', '%diffpair/a', 'LOCAL:diffpair/b'],
	['diff', '%diffpair/a', '%diffpair/b'],
	['diff', '--json', '%sample/model.ckpt-500', '%sample/model.ckpt-1000'],
	['graph', '%graph/run/model.ckpt-1000.meta'],
	['graph', '--check', '%graph/run/model.ckpt-1000', '%graph/run/model.ckpt-1000.meta'],
	['match', '%match/slim/model.ckpt', '%match/keras/model.ckpt'],
	['match', '%match/slim/', '%match/keras/'],
	['trend', '%trendrun/'],
	['trend', '--json', '%trendrun/model.ckpt-100', '%trendrun/model.ckpt-200'],
	['export', '--npz', 'OUT.npz', '%sample/model.ckpt-1000'],
	['export', '--safetensors', 'OUT.safetensors', '%twoshards/model'],
	['subset', '-o', 'OUT/model', '--drop-optimizer', '%sample/model.ckpt-1000'],
	['subset', '-o', 'OUT/model', '%partitioned/ckpt'],
	$have_saved ? (['list', '%savedmodel/'], ['show', '--object-graph', '%savedmodel/'],
		       ['graph', '%savedmodel/saved_model.pb'],
		       ['graph', '--check', '%savedmodel/', '%savedmodel/saved_model.pb']) : (),
);

# Cases that name a folder without a `checkpoint` state file: its checkpoints are found by
# listing it, which S3 (and GCS) can and a plain http:// server cannot. Through nginx they end
# in a clear error instead.
my %needs_listing = map { ("@$_" => 1) } ['match', '%match/slim/', '%match/keras/'], ['trend', '%trendrun/'];

my $outn = 0;
# Run one case against $base (a URL or $local): (exit, stdout, stderr, output files).
sub run_case {
	my ($case, $base, @env) = @_;
	my $out = "$tmp/out" . ++$outn;
	mkdir $out;
	my @argv = map {
		my $a = $_;
		# An http:// URL is written encoded; s3:// and gs:// keys as they are.
		$a =~ s/ /%20/g if $a =~ /^%/ && $base =~ /^https?:/;
		$a =~ s/^%/$base\//;
		$a =~ s/^LOCAL:/$local\//;
		$a =~ s/^OUT/$out\/o/;
		$a;
	} @$case;
	my $t0 = time;
	my ($rc, $so, $se) = limited(@env ? ('env', @env) : (), $ckpt, @argv);
	push @all_outputs, $so, $se;
	return ($rc, $so, $se, $out, time - $t0);
}

# What a run said, with the URL's spellings of the tree put back to the local path, the output
# folder's name made the same, and the time a writer took ("in 0.04 s") left out. With $notime,
# also the times of files (trend's table): s3rver stamps an object with its upload time.
our $notime = 0;
sub norm {
	my ($text, $out, @bases) = @_;
	for my $b (@bases) { $text =~ s/\Q$b\E([^\s"]*)/$local . ($1 =~ s|%20| |gr)/ge; }
	$text =~ s/\Q$out\E/OUTDIR/g;
	$text =~ s/ in \d+(\.\d+)? s\b/ in T s/g;
	$text =~ s/\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d/TIME/g if $notime;
	return $text;
}

# The members of a zip file (an .npz) and their contents, joined: an .npz holds the time it was
# written, the rest must be the same.
sub zip_members {
	my ($f) = @_;
	my $z = IO::Uncompress::Unzip->new($f) or return "not a zip: $UnzipError";
	my $all = '';
	for (my $status = 1; $status > 0; $status = $z->nextStream) {
		my ($data, $buf) = ('', '');
		$data .= $buf while ($status = $z->read($buf)) > 0;
		$all .= $z->getHeaderInfo->{Name} . "\0" . length($data) . "\0$data";
		last if $status < 0;
	}
	return $all;
}

sub files_same {
	my ($a, $b) = @_;
	my @fa = sort map { s{^\Q$a\E/}{}r } glob("$a/* $a/*/*");
	my @fb = sort map { s{^\Q$b\E/}{}r } glob("$b/* $b/*/*");
	return 0 unless "@fa" eq "@fb";
	for (@fa) {
		next if -d "$a/$_";
		if (/\.npz$/) { return 0 if zip_members("$a/$_") ne zip_members("$b/$_"); next; }
		return 0 if compare("$a/$_", "$b/$_") != 0;
	}
	return 1;
}

my %expect;  # case index -> [exit, stdout, stderr, outdir]
for my $i (0 .. $#cases) {
	my ($rc, $so, $se, $out) = run_case($cases[$i], $local);
	$expect{$i} = [$rc, norm($so, $out), norm($se, $out), $out];
	local $notime = 1;
	push @{ $expect{$i} }, norm($so, $out), norm($se, $out);
}

# Every case through one backend: the same exit, stdout and stderr (URL for path), and the same
# files written.
our $only;  # a backend run on a few cases: those matching this
sub parity {
	my ($name, $base, $env, @display) = @_;
	my $lists = $base =~ m{^s3://};  # the emulated gs:// is nginx: no listing
	for my $i (0 .. $#cases) {
		my $c = $cases[$i];
		next if $only && "@$c" !~ $only;
		my ($rc, $so, $se, $out, $dt) = run_case($c, $base, @$env);
		my $raw = $se;
		if (!$lists && $needs_listing{"@$c"}) {
			my $shown = @display ? $display[0] : $base;
			# (nginx answers the emulated GCS listing with a 403: that one is said as it is)
			ok($rc == 2 && $so eq '' && $se =~ /\Q$shown\E/ && $se =~ ($base =~ /^gs:/ ? qr/list|state file|403/ : qr/list|state file/),
			   "$name: ckpt @$c: a folder that cannot be listed: exit 2, said clearly", "exit $rc: $raw");
			next;
		}
		my ($erc, $eso, $ese, $eout) = @{ $expect{$i} };
		($eso, $ese) = @{ $expect{$i} }[4, 5] if $notime;
		my $label = "$name: ckpt @$c";
		$so = norm($so, $out, $base, @display);
		$se = norm($se, $out, $base, @display);
		my $same = $rc == $erc && $so eq $eso && $se eq $ese;
		ok($same && files_same($out, $eout), $label,
		   "exit $rc (local: $erc), " . sprintf('%.1f s', $dt),
		   $rc == $erc ? () : "stderr: " . substr($raw, 0, 600),
		   $so eq $eso ? () : ("stdout differs; got:", substr($so, 0, 600), "local:", substr($eso, 0, 600)),
		   $se eq $ese || $rc != $erc ? () : ("stderr differs; got:", substr($se, 0, 600), "local:", substr($ese, 0, 600)));
	}
}

# --- http:// and gs:// from nginx ------------------------------------------------------------

my $nginx = nginx_start($root);
my $N = $nginx ? $nginx->{url} : undef;
my $nginx_why = $Remote::why;
if ($nginx) {
	my ($rc, $so) = limited('curl', '-sf', '-r', '0-3', "$N/ck/sample/checkpoint");
	ok($rc == 0 && $so eq 'mode', 'nginx serves the tree with Range', "curl exit $rc: $so");
	parity('http', "$N/ck", ['GOOGLE_OAUTH_ACCESS_TOKEN=' . $secret{gcs}]);
	# Credentials in the URL never shown; messages show the URL without them.
	(my $with_pw = "$N/ck") =~ s{^http://}{http://user:$secret{url}\@};
	{
		local $only = qr/^(list|show --json|verify %sample|diff --json|export --npz)/;
		parity('http with user:password@', $with_pw, [], "$N/ck");
	}
	my $m = mark($nginx);
	parity('gs (emulator)', 'gs://ck', ["STORAGE_EMULATOR_HOST=$N", 'GOOGLE_OAUTH_ACCESS_TOKEN=' . $secret{gcs}]);
	my @r = requests($nginx, $m);
	ok(@r && !grep({ ($_->{auth} // '') ne 'Bearer' } @r), 'gs: every request carries the bearer token',
	   map { "$_->{method} $_->{uri} auth=" . ($_->{auth} // '') } grep { ($_->{auth} // '') ne 'Bearer' } @r[0 .. ($#r > 5 ? 5 : $#r)]);
	$m = mark($nginx);
	{
		local $only = qr/^(list %sample|show %sample|verify %sample)/;
		parity('gs anonymous', 'gs://ck', ["STORAGE_EMULATOR_HOST=$N"]);
	}
	@r = requests($nginx, $m);
	ok(@r && !grep({ ($_->{auth} // '-') ne '-' } @r), 'gs anonymous: no Authorization header');
	request_bounds($nginx, "$N/ck", 'http');
} else {
	skip($nginx_why, 'http:// and gs:// through nginx');
}

# --- the requests list and show make, from nginx's log ----------------------------------------

sub tensor_of {
	my ($prefix, $name) = @_;
	my ($rc, $so) = limited($ckpt, 'list', '--json', "$local/$prefix");
	my $doc = decode_json($so);
	my ($t) = grep { $_->{name} eq $name } @{ $doc->{tensors} };
	return $t;
}

sub summary { return join("\n", map { "$_->{method} $_->{uri} [$_->{range}] $_->{status} $_->{bytes}" } @_); }

sub request_bounds {
	my ($srv, $base, $label, @env) = @_;
	my @pre = @env ? ('env', @env) : ();
	for my $p ('sample/model.ckpt-500', 'many/ckpt') {
		my $isize = -s "$local/$p.index";
		my $m = mark($srv);
		my ($rc) = limited(@pre, $ckpt, 'list', "$base/$p");
		my @r = requests($srv, $m);
		my $bytes = 0;
		$bytes += $_->{bytes} for @r;
		ok($rc == 0 && @r >= 1 && @r <= 4 && $bytes <= $isize + 65536,
		   "$label: list $p: " . scalar(@r) . " requests (at most 4), $bytes bytes (index $isize + 64 KiB at most)",
		   "exit $rc", summary(@r));
		ok(!grep({ $_->{uri} =~ /\.data-/ && $_->{method} eq 'GET' } @r), "$label: list $p reads no data", summary(@r));
	}
	for my $c (['sample/model.ckpt-500', 'dense/bias'], ['many/ckpt', 'model/block_00/layer_0050/kernel'],
		   ['twoshards/model', undef]) {
		my ($p, $name) = @$c;
		if (!defined $name) {  # the tensor of the second shard
			my ($rc, $so) = limited($ckpt, 'list', '--json', "$local/$p");
			($name) = map { $_->{name} } grep { $_->{shard} == 1 } @{ decode_json($so)->{tensors} };
		}
		my $t = tensor_of($p, $name);
		if (!$t) { ok(0, "$label: show $p $name: no such tensor here"); next; }
		my $isize = -s "$local/$p.index";
		my $m = mark($srv);
		my ($rc, $so, $se) = limited(@pre, $ckpt, 'show', "$base/$p", $name);
		my @r = requests($srv, $m);
		my @data = grep { $_->{uri} =~ /\.data-/ && $_->{method} eq 'GET' } @r;
		my ($dbytes, $ibytes) = (0, 0);
		$dbytes += $_->{bytes} for @data;
		$ibytes += $_->{bytes} for grep { $_->{uri} !~ /\.data-/ } @r;
		my ($lo, $hi) = ($t->{offset}, $t->{offset} + $t->{bytes} - 1);
		my @outside = grep { !($_->{range} =~ /^bytes=(\d+)-(\d+)$/ && $1 >= $lo && $2 <= $hi) } @data;
		my $shard = sprintf('data-%05d-of-', $t->{shard});
		ok($rc == 0 && @data >= 1 && !@outside && $dbytes <= $t->{bytes} && !grep({ $_->{uri} !~ /\Q$shard\E/ } @data)
		   && $ibytes <= $isize + 65536,
		   "$label: show $p $name: data read only in its range $lo-$hi of shard $t->{shard} ($dbytes bytes), index $ibytes bytes",
		   "exit $rc: " . substr($se, 0, 300), summary(@r));
	}
	# verify reads each data byte about once, in few requests.
	my $p = 'many/ckpt';
	my $dsize = -s "$local/$p.data-00000-of-00001";
	my $m = mark($srv);
	my ($rc) = limited(@pre, $ckpt, 'verify', "$base/$p");
	my @r = requests($srv, $m);
	my $dbytes = 0;
	$dbytes += $_->{bytes} for grep { $_->{uri} =~ /\.data-/ } @r;
	ok($rc == 0 && $dbytes >= $dsize && $dbytes <= $dsize + 65536 && @r <= 64,
	   "$label: verify $p: $dbytes data bytes of $dsize in " . scalar(@r) . " requests", "exit $rc", summary(@r));
	# Connections are kept alive: a few at once, not one per request (nginx numbers them).
	my %conns = map { defined $_->{conn} ? ($_->{conn} => 1) : () } @r;
	ok(keys(%conns) <= 4, "$label: verify $p: " . scalar(@r) . ' requests on ' . keys(%conns)
	   . ' connections (kept alive)', map { "$_->{method} $_->{uri} [$_->{range}] connection $_->{conn}" } @r)
	    if @r && defined $r[0]{conn};
}

# --- s3:// from s3rver, signed and anonymous --------------------------------------------------

my $s3 = s3rver_start("$tmp/s3", 'ck');
if ($s3) {
	my $up = 1;
	for my $f (split /\n/, `cd '$local' && find . -type f | sort`) {
		$f =~ s{^\./}{};
		$up &&= s3_put($s3, 'ck', $f, "$local/$f");
	}
	ok($up, 's3rver: every generated file uploaded');
	my @s3env = ("AWS_ENDPOINT_URL=$s3->{url}", 'AWS_REGION=us-east-1');
	local $notime = 1;
	parity('s3 signed', 's3://ck', [@s3env, 'AWS_ACCESS_KEY_ID=S3RVER', "AWS_SECRET_ACCESS_KEY=$secret{aws}",
					 "AWS_SESSION_TOKEN=$secret{token}"]);
	{
		local $only = qr/^(list %sample|list --by-scope|show %sample|verify %sample|trend %)/;
		parity('s3 anonymous', 's3://ck', \@s3env);
	}
	# A key id the server does not know: refused, said clearly, the secret not shown.
	my ($rc, $so, $se) = limited('env', @s3env, 'AWS_ACCESS_KEY_ID=NOSUCHKEY', "AWS_SECRET_ACCESS_KEY=$secret{aws}",
				     $ckpt, 'list', 's3://ck/sample/model.ckpt-500');
	push @all_outputs, $so, $se;
	ok($rc == 2 && $se =~ m{s3://ck/sample/model\.ckpt-500} && $se =~ /403/ && $se =~ /credential|AWS_|access key/i
	   && $se =~ /^ckpt: list: /m, 's3: a key id the server does not know: exit 2, the URL, 403 and a hint on credentials',
	   "exit $rc: $se");
	# A folder without a state file: its objects found by listing (ListObjectsV2).
	($rc, $so, $se) = limited('env', @s3env, $ckpt, 'list', 's3://ck/many/');
	my ($lrc, $lso) = limited($ckpt, 'list', "$local/many/ckpt");
	ok($rc == 0 && $so eq $lso, 's3: a folder without a state file is listed (ListObjectsV2)', "exit $rc: $se");
	# A prefix that is not there: 404, with the objects that are (the listing is allowed here).
	($rc, $so, $se) = limited('env', @s3env, $ckpt, 'list', 's3://ck/sample/model.ckpt-50');
	ok($rc == 2 && $se =~ m{s3://ck/sample/model\.ckpt-50\b} && $se =~ /404|no such/i && $se =~ /model\.ckpt-500/,
	   's3: a wrong prefix: exit 2, the URL, not found, and the prefixes that exist', "exit $rc: $se");
	# A named object that is not there: its URL, the status and a hint.
	($rc, $so, $se) = limited('env', @s3env, $ckpt, 'list', 's3://ck/sample/model.ckpt-7.index');
	ok($rc == 2 && $se =~ m{s3://ck/sample/model\.ckpt-7\.index} && $se =~ /404/ && $se =~ /\?|prefix|model\.ckpt-500/,
	   's3: a missing .index: exit 2, the URL, 404 and a hint', "exit $rc: $se");
} else {
	skip($Remote::why, 's3:// through s3rver');
}

# --- errors and faults, from the fault server -------------------------------------------------

my $fault = fault_start($root, $secret{aws});
ok($fault, 'the fault server starts', $Remote::why);
my $F = $fault->{url};

# --- s3:// from an endpoint that checks every signature and pages its listings ----------------

{
	my @env = ("AWS_ENDPOINT_URL=$F/sigv4", 'AWS_REGION=eu-west-3', 'AWS_ACCESS_KEY_ID=AKIDEXAMPLE',
		   "AWS_SECRET_ACCESS_KEY=$secret{aws}");
	my $m = mark($fault);
	parity('s3 SigV4 checked', 's3://ck', [@env, "AWS_SESSION_TOKEN=$secret{token}"]);
	my @r = requests($fault, $m);
	my @bad = grep { $_->{status} == 403 || $_->{auth} ne 'AWS4-HMAC-SHA256' } @r;
	ok(@r && !@bad, 's3 SigV4 checked: ' . scalar(@r) . ' requests, each signed and each signature right',
	   summary(@bad[0 .. ($#bad > 5 ? 5 : $#bad)]));
	ok(grep({ $_->{uri} =~ /continuation-token=/ } @r), 's3 SigV4 checked: listings followed to their next page',
	   summary(grep { $_->{uri} =~ /list-type/ } @r));
	request_bounds($fault, 's3://ck', 's3 SigV4 checked', @env);
	# A wrong secret: the server's 403, said with a hint on credentials, the secret never shown.
	my ($rc, $so, $se) = limited('env', @env[0 .. 2], 'AWS_SECRET_ACCESS_KEY=wrong-secret-0000', $ckpt, 'list',
				     's3://ck/sample/model.ckpt-500');
	push @all_outputs, $so, $se;
	ok($rc == 2 && $se =~ m{s3://ck/sample/model\.ckpt-500} && $se =~ /403/ && $se =~ /AWS_SECRET_ACCESS_KEY|credential/
	   && $se !~ /wrong-secret-0000/, 's3 SigV4 checked: a wrong secret: exit 2, the URL, 403 and a hint', "exit $rc: $se");
}
my ($lrc, $lso) = limited($ckpt, 'list', "$local/sample/model.ckpt-1000");
my ($vrc, $vso) = limited($ckpt, 'show', '--stats', '--match', '.', "$local/sample/model.ckpt-1000");

# A run through a fault: (exit, stdout, stderr, seconds).
my $tag = 0;
sub through {
	my ($fault_path, @argv) = @_;
	$fault_path = 'r' . ++$tag . "-$fault_path";  # each run meets its faults afresh
	my $t0 = time;
	# A stall fails each try after CKPT_HTTP_TIMEOUT seconds without a byte: 1 s, so that five
	# tries end well within the limit of a run.
	my @env = ('CKPT_HTTP_TIMEOUT=' . ($fault_path =~ /stall/ ? 1 : 3), "AWS_SECRET_ACCESS_KEY=$secret{aws}", 'AWS_ACCESS_KEY_ID=AKIDFAKE',
		   "GOOGLE_OAUTH_ACCESS_TOKEN=$secret{gcs}");
	my ($rc, $so, $se) = limited('env', @env, $ckpt, @argv, "$F/$fault_path/ck/sample/model.ckpt-1000");
	push @all_outputs, $so, $se;
	$so =~ s{\Q$F/$fault_path/ck\E}{$local}g;
	return ($rc, $so, $se, time - $t0, "$F/$fault_path/ck/sample/model.ckpt-1000");
}

# Faults that pass: the same answer, the retry said on stderr.
for my $f (qw(500x1 503x1 429x2 resetx1 truncx1)) {
	for my $cmd (['list'], ['show', '--stats', '--match', '.']) {
		my ($rc, $so, $se, $dt) = through($f, @$cmd);
		my ($erc, $eso) = $cmd->[0] eq 'list' ? ($lrc, $lso) : ($vrc, $vso);
		ok($rc == $erc && $so eq $eso && $se =~ /retr/i, "$f: @$cmd: the same answer after a retry, said on stderr",
		   sprintf('exit %d, %.1f s, stdout %s: %s', $rc, $dt, $so eq $eso ? 'the same' : 'differs',
			   substr($se, 0, 400)));
	}
}
# A redirect is followed.
{
	my ($rc, $so, $se) = through('redirect', 'list');
	ok($rc == $lrc && $so eq $lso, 'redirect: followed, the same answer', "exit $rc: $se");
}
# Faults that last: exit 2 with the URL and what went wrong, within the time limit, no stdout.
for my $c (['500', qr/500/], ['503', qr/503/], ['trunc', qr/trunc|short|incomplete|partial|transfer|closed/i],
	   ['reset', qr/reset|closed|recv|connection|transfer/i], ['stall', qr/time|slow|stall/i],
	   ['403', qr/403.*(credential|AWS_|access|permission|denied)/is], ['404', qr/404|no such/i]) {
	my ($f, $re) = @$c;
	my ($rc, $so, $se, $dt, $url) = through($f, 'list');
	(my $reason = $se) =~ s{\Q$F\E\S*}{URL}g;  # the fault's name is in the URL
	ok($rc == 2 && $so eq '' && $se =~ m{\Q$url} && $reason =~ $re && $dt < 19,
	   "$f: exit 2 with the URL and the reason, in " . sprintf('%.1f s', $dt), "exit $rc: " . substr($se, 0, 500));
}
# A server that ignores Range: the right answer (the file is small), or a clear error; never a
# wrong one.
for my $cmd (['list'], ['show', '--stats', '--match', '.']) {
	my ($rc, $so, $se) = through('norange', @$cmd);
	my ($erc, $eso) = $cmd->[0] eq 'list' ? ($lrc, $lso) : ($vrc, $vso);
	(my $reason = $se) =~ s{\Q$F\E\S*}{URL}g;
	ok(($rc == $erc && $so eq $eso) || ($rc == 2 && $so eq '' && $reason =~ /range/i),
	   "norange: @$cmd: the right answer or a clear error", "exit $rc: " . substr($se, 0, 400));
}
# ... and one that answers a Range with a 4 GiB body: ckpt hangs up early, never holds it.
{
	my $m = mark($fault);
	my ($rc, $so, $se, $dt) = through('huge', 'list');
	my @r = requests($fault, $m);
	my $sent = 0;
	$sent += $_->{bytes} for @r;
	ok($rc == 2 && @r >= 1 && $sent < 128 << 20 && $dt < 19,
	   sprintf('huge body for a Range: exit 2 after %.1f MiB sent in %d requests, %.1f s', $sent / 1048576, scalar(@r), $dt),
	   "exit $rc: " . substr($se, 0, 400), summary(@r));
}
# A missing object named as such (.index, .data): its URL, the status and a hint.
for my $p ('sample/model.ckpt-7.index', 'sample/model.ckpt-7.data-00000-of-00001') {
	my ($rc, $so, $se) = limited($ckpt, 'list', "$F/ck/$p");
	my $status = $p =~ /\.index$/ ? qr/404/ : qr/404|no such/i;  # a shard's index is looked for
	ok($rc == 2 && $se =~ m{\Q$F/ck/$p\E} && $se =~ $status && $se =~ /\?|hint|prefix|index/,
	   "404 of $p: exit 2 with the URL, the status and a hint", "exit $rc: $se");
}
# Through a fault server posing as an S3 endpoint: the secrets signed with never shown.
{
	my ($rc, $so, $se) = limited('env', "AWS_ENDPOINT_URL=$F/403", 'AWS_ACCESS_KEY_ID=AKIDFAKE',
				     "AWS_SECRET_ACCESS_KEY=$secret{aws}", "AWS_SESSION_TOKEN=$secret{token}",
				     $ckpt, 'list', '--json', 's3://ck/sample/model.ckpt-1000');
	push @all_outputs, $so, $se;
	ok($rc == 2 && $se =~ m{s3://ck/sample/model\.ckpt-1000} && $se =~ /403/, 's3 403: exit 2 with the s3:// URL and the status',
	   "exit $rc: $se");
}

# --- no secret in any output ------------------------------------------------------------------

for my $k (sort keys %secret) {
	my @hits = grep { index($_, $secret{$k}) >= 0 } @all_outputs;
	ok(!@hits, "the $k secret appears in no output (" . scalar(@all_outputs) / 2 . ' runs)',
	   map { substr($_, 0, 300) } @hits[0 .. ($#hits > 2 ? 2 : $#hits)]);
}

done();
