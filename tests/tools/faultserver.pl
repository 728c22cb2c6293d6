#!/usr/bin/perl
# faultserver: an HTTP server for tests/remote.t that serves files from a folder with Range
# support and, when the path starts with a fault's name, misbehaves the way servers and networks
# do. Perl core only, so that the fault cases run wherever the tests do.
#
#   faultserver.pl PORT ROOT LOG STATE [SECRET]
#
# GET/HEAD /PATH serves ROOT/PATH (Range: bytes=A-B, A- and -N, one range). GET /FAULT/PATH
# does FAULT first; "FAULTxN" does it to the first N requests for that path (counted in STATE),
# then serves PATH normally; "TAG-FAULTxN" counts apart from other tags:
#   500 503 429  that status (503 and 429 with Retry-After: 1)
#   403 404      that status, always
#   reset        the headers and half the body, then a TCP reset
#   trunc        Content-Length of the whole range, half of it sent, then the connection closed
#   stall        the headers and half the body (1 KiB at most), then nothing for 10 minutes
#   norange      Range ignored: 200 with the whole file
#   huge         Range ignored: 200 with a 4 GiB body of zeros, whatever PATH is (the bytes
#                sent before the client hung up are logged)
#   redirect     302 to /PATH
# GET/HEAD /sigv4/BUCKET/KEY is an S3 endpoint (AWS_ENDPOINT_URL=http://127.0.0.1:PORT/sigv4)
# that checks AWS Signature V4 against SECRET (the 5th argument) by its own computation, answers
# 403 SignatureDoesNotMatch when it differs, serves ROOT/BUCKET/KEY when it holds, and answers
# ListObjectsV2 (GET /sigv4/BUCKET?list-type=2&prefix=P&delimiter=/) three keys a page, so that
# a client must follow continuation tokens.
# Each request appends to LOG one line: METHOD URI "RANGE" STATUS BODY_BYTES_SENT AUTH_SCHEME (as
# the nginx access log the tests also read). One process per connection (keep-alive served),
# all in one process group that the tests kill.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(sha256_hex hmac_sha256 hmac_sha256_hex);
use POSIX qw(strftime);
use Fcntl qw(:flock O_WRONLY O_APPEND O_CREAT);
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);

my ($port, $root, $logf, $state, $secret) = @ARGV;
die "usage: faultserver.pl PORT ROOT LOG STATE [SECRET]\n" unless defined $state;
$SIG{PIPE} = 'IGNORE';
$SIG{CHLD} = 'IGNORE';  # children are reaped by the kernel
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 32,
				ReuseAddr => 1) or die "faultserver: 127.0.0.1:$port: $!\n";
while (1) {
	my $c = $srv->accept or next;
	my $pid = fork;
	if (defined $pid && !$pid) {
		close $srv;
		alarm 900;  # never outlive a forgotten test by long
		serve($c);
		exit 0;
	}
	close $c;
}

sub logline {
	my ($line) = @_;
	sysopen(my $fh, $logf, O_WRONLY | O_APPEND | O_CREAT) or return;
	syswrite($fh, "$line\n");
	close $fh;
}

# How many requests for this fault and path came before this one (counted across processes).
sub seen {
	my ($key) = @_;
	my $f = "$state/" . md5_hex($key);
	open(my $fh, '+>>', $f) or die "faultserver: $f: $!\n";
	flock($fh, LOCK_EX);
	seek($fh, 0, 0);
	my $n = length(join '', <$fh>);
	print $fh 'x';
	close $fh;
	return $n;
}

sub send_all {
	my ($c, $data) = @_;
	my $off = 0;
	while ($off < length $data) {
		my $w = syswrite($c, $data, length($data) - $off, $off);
		return $off unless defined $w && $w > 0;
		$off += $w;
	}
	return $off;
}

sub head {
	my ($c, $status, @h) = @_;
	my %text = (200 => 'OK', 206 => 'Partial Content', 302 => 'Found', 403 => 'Forbidden',
		    404 => 'Not Found', 416 => 'Range Not Satisfiable', 429 => 'Too Many Requests',
		    500 => 'Internal Server Error', 503 => 'Service Unavailable');
	send_all($c, join("\r\n", "HTTP/1.1 $status " . ($text{$status} // 'Status'), @h, '', ''));
}

my $is_head;  # the request being answered is a HEAD: headers only, however long the body

sub short_reply {
	my ($c, $status, $body, @h) = @_;
	head($c, $status, "Content-Length: " . length($body), 'Content-Type: text/plain', @h);
	return 0 if $is_head;
	send_all($c, $body);
	return length $body;
}

sub serve {
	my ($c) = @_;
	while (1) {
		my $req = '';
		while ($req !~ /\r?\n\r?\n/) {
			my $r = sysread($c, $req, 8192, length $req);
			return unless $r;
		}
		my ($line, @hl) = split /\r?\n/, $req;
		my ($method, $uri) = split ' ', $line;
		my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () } @hl;
		my $range = $h{range} // '-';
		my $auth = ($h{authorization} // '-') =~ s/\s.*//sr;  # the scheme, never the secret
		my ($status, $sent, $keep) = $uri =~ m{^/sigv4/} ? s3($c, $method, $uri, \%h)
		    : answer($c, $method, $uri, $h{range});
		logline(qq{$method $uri "$range" $status $sent $auth});
		return unless $keep;
	}
}

# One request: (status, body bytes sent, keep the connection).
sub answer {
	my ($c, $method, $uri, $range) = @_;
	(my $path = $uri) =~ s/\?.*//;
	$path =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
	$is_head = $method eq 'HEAD';
	my ($fault, $times) = ('', 0);
	# An optional TAG- before the fault keeps one test's counts apart from another's.
	if ($path =~ m{^/([a-z0-9]+-)?(500|503|429|403|404|reset|trunc|stall|norange|huge|redirect)(?:x(\d+))?(/.*)$}) {
		my $tag = $1 // '';
		($fault, $times, $path) = ($2, $3, $4);
		$fault = '' if defined $times && seen("$tag$fault $path") >= $times;
	}
	return (302, short_reply($c, 302, '', "Location: $path"), 1) if $fault eq 'redirect';
	if ($fault =~ /^(500|503|429|403|404)$/) {
		my @retry = $fault =~ /^(503|429)$/ ? ('Retry-After: 1') : ();
		return ($fault, short_reply($c, $fault, "fault $fault\n", @retry), 1);
	}
	if ($fault eq 'huge') {
		head($c, 200, 'Content-Length: ' . (4 << 30), 'Content-Type: application/octet-stream');
		return (200, 0, 1) if $is_head;
		my ($zeros, $sent) = ("\0" x 65536, 0);
		while ($sent < (4 << 30)) {
			my $w = send_all($c, $zeros);
			$sent += $w;
			last if $w < length $zeros;
		}
		return (200, $sent, 0);
	}
	return (404, short_reply($c, 404, "no such file\n"), 1)
	    if $path =~ m{(^|/)\.\.(/|$)} || !-f "$root$path";
	my $size = -s _;
	my ($a, $b) = (0, $size - 1);
	my $partial = 0;
	if (defined $range && $fault ne 'norange') {
		if ($range =~ /^bytes=(\d+)-(\d*)$/) {
			($a, $b) = ($1, $2 eq '' || $2 > $size - 1 ? $size - 1 : $2);
		} elsif ($range =~ /^bytes=-(\d+)$/) {
			($a, $b) = ($1 >= $size ? 0 : $size - $1, $size - 1);
		}
		return (416, short_reply($c, 416, '', "Content-Range: bytes */$size"), 1) if $a > $b;
		$partial = 1;
	}
	my $len = $b - $a + 1;
	my @h = ("Content-Length: $len", 'Content-Type: application/octet-stream', 'Accept-Ranges: bytes',
		 'Last-Modified: ' . strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime((stat "$root$path")[9])));
	push @h, "Content-Range: bytes $a-$b/$size" if $partial;
	my $status = $partial ? 206 : 200;
	head($c, $status, @h);
	return ($status, 0, 1) if $method eq 'HEAD';
	open(my $fh, '<:raw', "$root$path") or return ($status, 0, 0);
	seek($fh, $a, 0);
	my $body = '';
	read($fh, $body, $len);
	close $fh;
	if ($fault eq 'stall') {  # half the body, at most 1 KiB of it
		my $sent = send_all($c, substr($body, 0, $len / 2 < 1024 ? int($len / 2) : 1024));
		sleep 600;
		return ($status, $sent, 0);
	}
	if ($fault eq 'trunc' || $fault eq 'reset') {
		my $sent = send_all($c, substr($body, 0, int($len / 2)));
		setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $fault eq 'reset';
		close $c;
		return ($status, $sent, 0);
	}
	return ($status, send_all($c, $body), 1);
}

# --- an S3 endpoint that checks signatures ---------------------------------------------------

sub uri_encode {
	my ($s, $keep_slash) = @_;
	$s =~ s{([^A-Za-z0-9_.~\-/])}{sprintf '%%%02X', ord $1}ge;
	$s =~ s{/}{%2F}g unless $keep_slash;
	return $s;
}
sub uri_decode { my ($s) = @_; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; return $s; }

# The signature AWS would compute for this request, or undef with why it cannot be checked.
sub sigv4_check {
	my ($method, $uri, $h) = @_;
	my $auth = $h->{authorization} // return 'no Authorization header';
	my ($akid, $date, $region, $service, $signed, $sig) = $auth =~
	    m{^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$}
	    or return "malformed Authorization: $auth" =~ s/Signature=\S+/Signature=.../r;
	my $amzdate = $h->{'x-amz-date'} // return 'no x-amz-date';
	return 'x-amz-date is not of the credential\'s day' unless substr($amzdate, 0, 8) eq $date;
	my @signed = split /;/, $signed;
	for my $need ('host', 'x-amz-content-sha256', 'x-amz-date',
		      exists $h->{'x-amz-security-token'} ? 'x-amz-security-token' : ()) {
		return "$need is not signed" unless grep { $_ eq $need } @signed;
	}
	my ($path, $query) = split /\?/, $uri, 2;
	my @q = map { my ($k, $v) = split /=/, $_, 2; [uri_encode(uri_decode($k), 0), uri_encode(uri_decode($v // ''), 0)] }
	    grep { length } split /&/, $query // '';
	my $cq = join '&', map { "$_->[0]=$_->[1]" } sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] } @q;
	my $ch = join '', map { my $v = $h->{$_} // ''; $v =~ s/^\s+|\s+$//g; $v =~ s/\s+/ /g; "$_:$v\n" } @signed;
	my $creq = join "\n", $method, uri_encode(uri_decode($path), 1), $cq, $ch, $signed, $h->{'x-amz-content-sha256'} // '';
	my $sts = join "\n", 'AWS4-HMAC-SHA256', $amzdate, "$date/$region/$service/aws4_request", sha256_hex($creq);
	my $k = hmac_sha256($date, "AWS4$secret");
	$k = hmac_sha256($_, $k) for $region, $service, 'aws4_request';
	return hmac_sha256_hex($sts, $k) eq $sig ? undef : 'SignatureDoesNotMatch';
}

sub xml_esc { my ($s) = @_; $s =~ s/&/&amp;/g; $s =~ s/</&lt;/g; $s =~ s/>/&gt;/g; return $s; }

sub s3 {
	my ($c, $method, $uri, $h) = @_;
	$is_head = $method eq 'HEAD';
	my $why = defined $secret ? sigv4_check($method, $uri, $h) : 'no secret given to the server';
	if (defined $why) {
		return (403, short_reply($c, 403, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
					 . ($why eq 'SignatureDoesNotMatch' ? $why : 'AccessDenied')
					 . "</Code><Message>" . xml_esc($why) . "</Message></Error>"), 1);
	}
	(my $rest = $uri) =~ s{^/sigv4}{};
	my ($path, $query) = split /\?/, $rest, 2;
	my ($bucket) = $path =~ m{^/([^/]+)/?$};
	if (defined $bucket && ($query // '') =~ /(^|&)list-type=2(&|$)/) {
		return (200, short_reply($c, 200, list_v2(uri_decode($bucket), $query)), 1);
	}
	return answer($c, $method, $rest, $h->{range});
}

sub list_v2 {
	my ($bucket, $query) = @_;
	my %q = map { my ($k, $v) = split /=/, $_, 2; (uri_decode($k), uri_decode($v // '')) } split /&/, $query;
	my ($prefix, $delim) = ($q{prefix} // '', $q{delimiter} // '');
	my $max = $q{'max-keys'} && $q{'max-keys'} < 3 ? $q{'max-keys'} : 3;
	my $dir = "$root/$bucket";
	my @keys = sort grep { index($_, $prefix) == 0 }
	    map { substr($_, length($dir) + 1) } split /\n/, `find '$dir' -type f 2>/dev/null`;
	my (@items, %seen);  # [key] or [common prefix, 1], in key order
	for my $k (@keys) {
		my $rest = substr($k, length $prefix);
		my $i = length $delim ? index($rest, $delim) : -1;
		if ($i >= 0) {
			my $cp = $prefix . substr($rest, 0, $i + 1);
			push @items, [$cp, 1] unless $seen{$cp}++;
		} else {
			push @items, [$k, 0];
		}
	}
	my $start = $q{'continuation-token'} ? $q{'continuation-token'} =~ s/^page-//r : 0;
	my @page = @items[$start .. ($start + $max - 1 < $#items ? $start + $max - 1 : $#items)];
	my $more = $start + $max <= $#items;
	return join '', '<?xml version="1.0" encoding="UTF-8"?>',
	    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
	    '<Name>', xml_esc($bucket), '</Name><Prefix>', xml_esc($prefix), '</Prefix>',
	    '<KeyCount>', scalar(@page), '</KeyCount><MaxKeys>', $max, '</MaxKeys>',
	    length $delim ? ('<Delimiter>', xml_esc($delim), '</Delimiter>') : (),
	    '<IsTruncated>', ($more ? 'true' : 'false'), '</IsTruncated>',
	    $more ? ('<NextContinuationToken>page-', $start + $max, '</NextContinuationToken>') : (),
	    (map { $_->[1] ? ('<CommonPrefixes><Prefix>', xml_esc($_->[0]), '</Prefix></CommonPrefixes>')
		   : ('<Contents><Key>', xml_esc($_->[0]), '</Key><LastModified>',
		      strftime('%Y-%m-%dT%H:%M:%S.000Z', gmtime((stat "$dir/$_->[0]")[9])),
		      '</LastModified><Size>', -s "$dir/$_->[0]", '</Size></Contents>') } @page),
	    '</ListBucketResult>';
}
