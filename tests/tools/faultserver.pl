#!/usr/bin/perl
# faultserver: an HTTP server for tests/remote.t that serves files from a folder with Range
# support and, when the path starts with a fault's name, misbehaves the way servers and networks
# do. Perl core only, so that the fault cases run wherever the tests do.
#
#   faultserver.pl PORT ROOT LOG STATE
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
# Each request appends to LOG one line: METHOD URI "RANGE" STATUS BODY_BYTES_SENT AUTH_SCHEME (as
# the nginx access log the tests also read). One process per connection (keep-alive served),
# all in one process group that the tests kill.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use Fcntl qw(:flock O_WRONLY O_APPEND O_CREAT);
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);

my ($port, $root, $logf, $state) = @ARGV;
die "usage: faultserver.pl PORT ROOT LOG STATE\n" unless defined $state;
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
		my ($status, $sent, $keep) = answer($c, $method, $uri, $h{range});
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
		 'Last-Modified: Mon, 01 Jun 2026 00:00:00 GMT');
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
