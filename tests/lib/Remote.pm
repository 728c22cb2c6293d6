# Remote: the servers that tests of remote checkpoints (https://, s3://, gs://) read from, all on
# 127.0.0.1 at free ports, each stopped when the test ends (END, or a signal that ends it). Each
# server is a child in its own process group, started with a parent-death signal so that it does
# not outlive a test that was killed outright.
#
#   tmpdir()                 a temporary folder, removed at exit (after the servers stop)
#   nginx_start($root)       Debian's nginx serving $root (Range, keep-alive): a server, or undef
#                            with $Remote::why saying why not (nginx not installed...)
#   s3rver_start($dir, @buckets)  npm's s3rver keeping its objects in $dir, the buckets made
#                            at start: a server, or undef ($Remote::why)
#   s3_put($srv, $bucket, $key, $file)  upload one object to s3rver; 1 on success
#   fault_start($root[, $secret])  tests/tools/faultserver.pl serving $root, with faults by path
#                            prefix, and an S3 endpoint under /sigv4 checking signatures by $secret
#   stop($srv)               stop one server now (also done for all at exit)
#   mark($srv)               where the server's request log ends now
#   requests($srv, $mark)    the requests logged since $mark, waiting until the log settles:
#                            a list of { method, uri, range, status, bytes, auth, conn } (auth:
#                            the Authorization header's scheme, or '-'; conn: nginx's connection
#                            number, undef from other servers)
#   limited(@argv)           ($exit, stdout, stderr) of argv run under a 20 s timeout (exit 124
#                            on a hang), stdin from /dev/null; argv is a list, never a shell line
# A server is a hash: { port, url => 'http://127.0.0.1:PORT', log, pid, kind }.
package Remote;

use strict;
use warnings;
use feature 'state';
use Config;
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(tmpdir nginx_start s3rver_start s3_put fault_start stop mark requests limited
		    free_port);
our $why = '';
our $timeout = $ENV{REMOTE_TEST_TIMEOUT} || 20;

my @servers;
my $owner = $$;  # forked children (a server before exec) must not stop anything at their exit

sub tmpdir { return tempdir('ckpt-remote.XXXXXX', TMPDIR => 1, CLEANUP => 1); }

# A port nobody listens on now. Another process may take it before the server binds it: the
# starters below try again with another port when the server does not come up.
sub free_port {
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
	    or die "Remote: no free port: $!\n";
	my $port = $s->sockport;
	close $s;
	return $port;
}

# PR_SET_PDEATHSIG(SIGKILL) by syscall number where it is known: the child dies with its parent.
my %prctl = (x86_64 => 157, aarch64 => 167);
sub die_with_parent {
	my ($arch) = $Config{archname} =~ /^(x86_64|aarch64)/;
	syscall($prctl{$arch}, 1, 9) if $arch;
}

sub spawn {
	my ($argv, $out) = @_;
	my $pid = fork // die "Remote: fork: $!\n";
	if (!$pid) {
		setpgrp(0, 0);
		die_with_parent();
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $out);
		open(STDERR, '>&', \*STDOUT);
		exec { $argv->[0] } @$argv;
		exit 127;
	}
	return $pid;
}

# Wait until something accepts on the port (1) or the process is gone or $secs passed (0).
sub wait_port {
	my ($port, $pid, $secs) = @_;
	my $t0 = time;
	while (time - $t0 < $secs) {
		return 0 if waitpid($pid, WNOHANG) == $pid;
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1);
		if ($s) { close $s; return 1; }
		sleep 0.05;
	}
	return 0;
}

# Start the server made by $make->($port) (argv, output file), trying up to three ports.
sub start {
	my ($kind, $make, $secs, %more) = @_;
	for (1 .. 3) {
		my $port = free_port();
		my ($argv, $out) = $make->($port);
		my $pid = spawn($argv, $out);
		my $srv = { kind => $kind, port => $port, url => "http://127.0.0.1:$port", pid => $pid,
			    out => $out, %more };
		push @servers, $srv;
		return $srv if wait_port($port, $pid, $secs);
		stop($srv);
		$why = "$kind did not start: " . substr(slurp($out), -300);
	}
	return undef;
}

sub stop {
	my ($srv) = @_;
	return unless $srv->{pid};
	kill 'TERM', -$srv->{pid};
	my $t0 = time;
	while (waitpid($srv->{pid}, WNOHANG) == 0) {
		if (time - $t0 > 3) { kill 'KILL', -$srv->{pid}; waitpid($srv->{pid}, 0); last; }
		sleep 0.02;
	}
	kill 'KILL', -$srv->{pid};  # what the leader left behind (a fault server's connections)
	undef $srv->{pid};
}

END {
	my $status = $?;
	if ($$ == $owner) { stop($_) for @servers; }
	$? = $status;
}
# A test stopped by a signal still stops its servers (END runs on exit, not on a signal).
$SIG{$_} = sub { exit 128 + 15 } for qw(INT TERM HUP ALRM);

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or return ''; local $/; return <$fh> // ''; }

sub which {
	my ($tool, @dirs) = @_;
	for my $d (split(/:/, $ENV{PATH} // ''), @dirs) {
		return "$d/$tool" if -x "$d/$tool" && !-d _;
	}
	return undef;
}

sub nginx_start {
	my ($root) = @_;
	my $nginx = which('nginx', '/usr/sbin', '/sbin');
	return ($why = 'nginx is not installed (make deps-extra installs nginx-light)', undef)[1]
	    unless $nginx;
	my $dir = tmpdir();
	my $user = getpwuid($>) // 'root';
	my $log = "$dir/access.log";
	return start('nginx', sub {
		my ($port) = @_;
		my $conf = "$dir/nginx.conf";
		open(my $fh, '>', $conf) or die "Remote: $conf: $!\n";
		# One process, no master (it dies with the test), the current user, everything in $dir.
		print $fh <<"EOF";
daemon off;
master_process off;
worker_processes 1;
@{[ $> == 0 ? "user $user;" : '' ]}
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 64; }
http {
	# The Authorization header's scheme only (Bearer, AWS4-HMAC-SHA256), never its secret.
	map \$http_authorization \$auth_scheme { "" "-"; "~^(?<s>\\S+)" \$s; }
	log_format ckpt '\$request_method \$request_uri "\$http_range" \$status \$body_bytes_sent \$auth_scheme \$connection';
	access_log $log ckpt;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	default_type application/octet-stream;
	sendfile on;
	keepalive_timeout 30s;
	server {
		listen 127.0.0.1:$port;
		root $root;
	}
}
EOF
		close $fh;
		unlink $log;
		return ([$nginx, '-p', $dir, '-c', $conf, '-e', "$dir/error.log"], "$dir/nginx.out");
	}, 10, log => $log);
}

sub s3rver_start {
	my ($dir, @buckets) = @_;
	my $s3rver = which('s3rver', '/usr/local/bin', dirname(__FILE__) . '/../../node_modules/.bin');
	return ($why = 's3rver is not installed (make deps-extra installs it from npm)', undef)[1]
	    unless $s3rver;
	return ($why = 'node is not installed (make deps-extra installs nodejs)', undef)[1]
	    unless which('node');
	my $logdir = tmpdir();
	return start('s3rver', sub {
		my ($port) = @_;
		return ([$s3rver, '-d', $dir, '-a', '127.0.0.1', '-p', $port, '--no-vhost-buckets',
			 map { ('--configure-bucket', $_) } @buckets], "$logdir/s3rver.out");
	}, 20, log => "$logdir/s3rver.out");
}

# Anonymous PUT: s3rver checks no access without an Authorization header.
sub s3_put {
	my ($srv, $bucket, $key, $file) = @_;
	(my $k = $key) =~ s{([^A-Za-z0-9_.~/-])}{sprintf '%%%02X', ord $1}ge;
	my ($rc) = limited('curl', '-sSf', '-o', '/dev/null', '-T', $file, "$srv->{url}/$bucket/$k");
	return $rc == 0;
}

sub fault_start {
	my ($root, $secret) = @_;
	my $dir = tmpdir();
	my $script = dirname(__FILE__) . '/../tools/faultserver.pl';
	mkdir "$dir/state";
	return start('faultserver', sub {
		my ($port) = @_;
		return ([$^X, $script, $port, $root, "$dir/access.log", "$dir/state", $secret // ()],
			"$dir/fault.out");
	}, 10, log => "$dir/access.log");
}

sub mark { my ($srv) = @_; return -s $srv->{log} // 0; }

# s3rver's log lines ("info: GET /b/k 206 3ms 1.2kb") or the access log's lines
# (METHOD URI "RANGE" STATUS BYTES), from byte $mark on, once the log has stopped growing
# (a server writes its line after the response has left, maybe after the client is done).
sub requests {
	my ($srv, $mark) = @_;
	my ($size, $t0) = (-1, time);
	while (time - $t0 < 5) {
		sleep 0.15;
		my $s = -s $srv->{log} // 0;
		last if $s == $size;
		$size = $s;
	}
	my $text = substr(slurp($srv->{log}), $mark // 0);
	my @r;
	for (split /\n/, $text) {
		if (/^(\S+) (\S+) "([^"]*)" (\d+) (\d+)(?: (\S+))?(?: (\d+))?$/) {
			push @r, { method => $1, uri => $2, range => $3 eq '-' ? '' : $3, status => $4, bytes => $5,
				   auth => $6 // '-', conn => $7 };
		} elsif (/info\S*: \S* (\d{3}) \d+ms (\S+)$/) {
			# s3rver cuts its own lines: a status, a time and a size in its units are left
			push @r, { method => '', uri => '', range => '', status => $1, bytes => undef };
		}
	}
	return @r;
}

sub limited {
	my (@argv) = @_;
	state $dir = tmpdir();
	my $pid = fork // die "Remote: fork: $!\n";
	if (!$pid) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', "$dir/out");
		open(STDERR, '>', "$dir/err");
		exec('timeout', '-k', '2', $timeout, @argv) or exit 127;
	}
	waitpid($pid, 0);
	my $rc = $? & 127 ? 128 + ($? & 127) : $? >> 8;
	return ($rc, slurp("$dir/out"), slurp("$dir/err"));
}

1;
