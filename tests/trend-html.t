#!/usr/bin/perl
# ckpt trend --html: the page is self-contained. Checked on its text (no http(s) URL, no
# external script, style, image or font; the charts, the heat map with its NaN/Inf marks, a
# table row per series), then in headless Chromium (Debian `chromium`, `make deps-extra`):
# its screenshot is not a blank page's, and Chromium's network log shows no request but the
# page's own file:// one, with every host name resolving to nothing besides. The Chromium
# part is skipped, saying so, when no Chromium is found.
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

use lib dirname(__FILE__) . '/lib';
use Tap qw(ok skip done $ckpt $bin shq run);

my $tmp = tempdir("ckpt-trend-html.XXXXXX", TMPDIR => 1, CLEANUP => 1);
system("$bin/mkckpt trendrun " . shq($tmp) . " >/dev/null") == 0 or die "mkckpt failed";
my $page = "$tmp/page.html";

my ($st, $out) = run("$ckpt trend --html " . shq($page) . " " . shq("$tmp/trendrun") . " 2>&1");
ok($st == 1 && -s $page, "--html writes the page (exit 1: NaN in the newest checkpoint)",
   "exit $st", $out);
my $html = do { local $/; open(my $f, '<', $page) or die "$page: $!"; <$f> } // '';

my @urls = $html =~ m{((?:https?:)?//[\w.-]+)}g;
ok(!@urls, "no network URL in the page", @urls);
ok($html !~ /<(?:link|img|iframe|object|embed)\b/i && $html !~ /\bsrc\s*=/i &&
   $html !~ /\@import|url\(/i, "no external script, style, image or font");
ok(($html =~ /<svg class="chart"/) && ($html =~ /<svg class="heat"/),
   "a line chart and a heat map, as inline SVG");
ok($html =~ /stroke="#d00"/ && $html =~ /1 NaN, 1 Inf/, "NaN/Inf marked in the heat map");
my $rows = () = $html =~ /<tr><td>/g;
ok($rows == 7, "a table row per series (6 tensors and global_step)", "rows: $rows");
ok($html =~ /<script>/ && $html =~ /flt\(\)/, "inline script to sort and filter");

my ($chrome) = grep { system("command -v $_ >/dev/null 2>&1") == 0 }
		   qw(chromium chromium-browser google-chrome chrome-headless-shell);
unless ($chrome) {
	skip("no Chromium found (chromium, chromium-browser, google-chrome): make deps-extra",
	     "the page in headless Chromium") for 1 .. 5;
	done();
}

# Every host resolves to nothing, so a request that slipped through would fail, and the net
# log records each one the page tried.
sub shoot {
	my ($file, $png, $netlog) = @_;
	my $cmd = join(" ", $chrome, "--headless", "--no-sandbox", "--disable-gpu",
		       "--no-first-run", "--disable-extensions", "--disable-background-networking",
		       "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		       "--user-data-dir=" . shq("$tmp/profile"),
		       "--host-resolver-rules=" . shq("MAP * ~NOTFOUND"),
		       "--window-size=1000,1200", "--screenshot=" . shq($png),
		       $netlog ? "--log-net-log=" . shq($netlog) : (), shq("file://$file"),
		       ">" . shq("$tmp/chromium.log") . " 2>&1");
	system("timeout 120 $cmd");
	return -s $png || 0;
}

open(my $b, '>', "$tmp/blank.html") or die;
print $b "<!DOCTYPE html><html><body></body></html>\n";
close($b);
my $blank = shoot("$tmp/blank.html", "$tmp/blank.png");
my $shot = shoot($page, "$tmp/page.png", "$tmp/net.json");
my $log = do { local $/; open(my $f, '<', "$tmp/chromium.log"); $f ? <$f> : '' } // '';
ok($shot > 0 && $blank > 0, "Chromium takes a screenshot of the page", "page $shot bytes, blank "
   . "$blank bytes", $log);
my ($a, $c) = map { local $/; open(my $f, '<:raw', $_); $f ? <$f> : '' } "$tmp/page.png",
								       "$tmp/blank.png";
ok($shot > $blank + 1000 && $a ne $c, "the screenshot is not blank",
   "page $shot bytes, blank $blank bytes");
# The page's own requests carry its file:// isolation key; Chromium's background requests
# (update checks, time) do not, and are not the page's doing.
sub page_requests {
	my $file = shift;
	my $text = do { local $/; open(my $f, '<', $file); $f ? <$f> : '' } // '';
	my $j = eval { JSON::PP->new->relaxed->decode($text =~ s/,\s*\]\s*\}?\s*$/]}/r) };
	return undef unless $j && ref $j->{events} eq 'ARRAY';
	my %urls;
	for my $e (@{$j->{events}}) {
		my $p = $e->{params};
		next unless ref $p eq 'HASH' && defined $p->{url} && defined $p->{network_isolation_key};
		$urls{$p->{url}} = 1 if $p->{network_isolation_key} =~ /^file:/ &&
					$p->{url} !~ /^(?:file|data|blob|about|chrome):/;
	}
	return [sort keys %urls];
}
my $reqs = page_requests("$tmp/net.json");
ok($reqs && !@$reqs, "the page requested nothing from the network",
   $reqs ? @$reqs : "no readable net log");
# The same check on a page that does load from the network: it must see those requests.
open(my $x, '>', "$tmp/ext.html") or die;
print $x qq{<html><body><img src="http://example.com/x.png"><script src="https://cdn.example.org/a.js"></script></body></html>\n};
close($x);
shoot("$tmp/ext.html", "$tmp/ext.png", "$tmp/ext.json");
$reqs = page_requests("$tmp/ext.json") || [];
ok(grep({ m{^http://example.com/} } @$reqs) && grep({ m{^https://cdn.example.org/} } @$reqs),
   "control: the check sees the requests of a page that makes some", @$reqs);

# The inline script: a click on "norm" sorts by it (largest first), the filter hides the rest.
(my $js = $html) =~ s{</body>}{<script>document.querySelectorAll("#tb th")[3].click();document.getElementById("flt").value="dense";flt();document.title="ROWS:"+Array.from(document.querySelectorAll("#tb tbody tr")).filter(function(r){return r.style.display!="none"}).map(function(r){return r.cells[0].textContent}).join(",")</script></body>};
open(my $jf, '>', "$tmp/js.html") or die;
print $jf $js;
close($jf);
my $dom = qx{timeout 120 $chrome --headless --no-sandbox --disable-gpu --user-data-dir=@{[shq("$tmp/profile")]} --host-resolver-rules=@{[shq("MAP * ~NOTFOUND")]} --dump-dom @{[shq("file://$tmp/js.html")]} 2>/dev/null};
my ($title) = $dom =~ /<title>ROWS:([^<]*)</;
ok(($title // '') eq "dense/kernel,dense/bias", "sorting by norm and filtering work in Chromium",
   "rows shown: " . ($title // 'none'));
done();
