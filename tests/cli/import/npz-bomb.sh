mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
# A small .npz that inflates to 192 MiB (a byte-string array, a Fortran-order array and a plain
# one, 64 MiB each, all zeros) imports within 90 MB of address space: every member is streamed
# and the Fortran-order one reordered through temporary files, never held whole.
perl -MIO::Compress::Zip=:all -e '
	sub head { my $d = sprintf("{\x27descr\x27: \x27%s\x27, \x27fortran_order\x27: %s, \x27shape\x27: %s, }", @_);
		   $d .= " " x ((64 - (10 + length($d) + 1) % 64) % 64) . "\n";
		   "\x93NUMPY\x01\x00" . pack("v", length $d) . $d }
	my $z = IO::Compress::Zip->new("bomb.npz", Name => "s.npy", Zip64 => 1, Level => 1,
				       Method => ZIP_CM_DEFLATE) or die;
	my $mib = 64; my $zero = "\0" x (1 << 20);
	for (["s.npy", head("|S8", "False", "(" . ($mib << 17) . ",)")],
	     ["f.npy", head("<f4", "True", "(1024, " . ($mib << 8) . ")")],
	     ["u.npy", head("|u1", "False", "(" . ($mib << 20) . ",)")]) {
		$z->newStream(Name => $_->[0], Zip64 => 1, Level => 1, Method => ZIP_CM_DEFLATE)
			unless $_->[0] eq "s.npy";
		$z->print($_->[1]); $z->print($zero) for 1 .. $mib;
	}
	$z->close or die'
test $(wc -c <bomb.npz) -lt 2000000
# The limit only for a plain binary: ASan reserves terabytes of address space, and valgrind
# runs ckpt through a script.
limit=90000
if ! head -c 4 "$CKPT" | grep -q ELF || grep -q __asan_init "$CKPT"; then limit=unlimited; fi
(ulimit -v $limit && $CKPT import --no-sync -o out bomb.npz)
$CKPT list out
$CKPT show out s --index 0:3
