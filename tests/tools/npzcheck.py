#!/usr/bin/env python3
"""Check a .npz written by `ckpt export --npz` with Python's own zipfile module and by hand,
against the checkpoint it came from (npz.t). No numpy: the .npy headers are parsed here.

  npzcheck.py ARCHIVE LIST_JSON DATA_FILE

LIST_JSON is `ckpt list --json` of a one-shard checkpoint of float32/int32/float64 tensors,
DATA_FILE its .data file. Checked: every member is NAME.npy of a tensor and every tensor
has one; the central directory's sizes and CRC-32s (zlib's, recomputed) match each member's
bytes; each local header (PKWARE APPNOTE 4.3.7, ZIP64 extra 4.5.3) agrees with the central
one; each member is a .npy file (format 1.0, header padded to 64 bytes, ending in '\\n') with
the tensor's descr and shape whose data are the tensor's bytes in the checkpoint. Prints
"members N zip64 Y|N" and exits 0, or prints the problems and exits 1."""
import ast
import json
import struct
import sys
import zipfile
import zlib

DESCR = {"float32": "<f4", "float64": "<f8", "int32": "<i4", "int64": "<i8"}


def local_header(f, info, problems):
    f.seek(info.header_offset)
    h = f.read(30)
    sig, _need, _flags, method, _t, _d, crc, csize, usize, nlen, xlen = struct.unpack("<IHHHHHIIIHH", h)
    name = f.read(nlen)
    extra = f.read(xlen)
    if sig != 0x04034B50:
        problems.append("%s: no local header at %d" % (info.filename, info.header_offset))
        return
    if name.decode("utf-8") != info.filename:
        problems.append("%s: local header names %r" % (info.filename, name))
    if 0xFFFFFFFF in (usize, csize):
        i = 0
        while i + 4 <= len(extra):
            tag, size = struct.unpack_from("<HH", extra, i)
            if tag == 1:
                usize, csize = struct.unpack_from("<QQ", extra, i + 4)
            i += 4 + size
    if (crc, csize, usize, method) != (info.CRC, info.compress_size, info.file_size, info.compress_type):
        problems.append("%s: local header says crc %08x sizes %d/%d, central %08x %d/%d" % (
            info.filename, crc, csize, usize, info.CRC, info.compress_size, info.file_size))


def npy(body, problems, name):
    if body[:8] != b"\x93NUMPY\x01\x00":
        problems.append("%s: not a version 1.0 .npy file" % name)
        return None, None, b""
    hlen = struct.unpack_from("<H", body, 8)[0]
    head = body[10:10 + hlen]
    if (10 + hlen) % 64 or not head.endswith(b"\n"):
        problems.append("%s: header not padded to 64 bytes with a final newline" % name)
    d = ast.literal_eval(head.decode("latin-1"))
    if d.get("fortran_order") is not False:
        problems.append("%s: fortran_order %r" % (name, d.get("fortran_order")))
    return d.get("descr"), tuple(d.get("shape", ())), body[10 + hlen:]


def main():
    archive, listing, datafile = sys.argv[1:4]
    tensors = json.load(open(listing))["tensors"]
    data = open(datafile, "rb").read()
    problems = []
    with zipfile.ZipFile(archive) as z, open(archive, "rb") as raw:
        infos = z.infolist()
        byname = {i.filename: i for i in infos}
        want = {t["name"] + ".npy": t for t in tensors}
        if set(byname) != set(want) or len(infos) != len(want):
            problems.append("members %d, tensors %d; only in the archive: %s; only in the checkpoint: %s" % (
                len(infos), len(want), sorted(set(byname) - set(want))[:3], sorted(set(want) - set(byname))[:3]))
        for info in infos:
            t = want.get(info.filename)
            if t is None:
                continue
            body = z.read(info)  # zipfile checks the CRC-32 too
            if zlib.crc32(body) != info.CRC or len(body) != info.file_size:
                problems.append("%s: CRC or size wrong" % info.filename)
            local_header(raw, info, problems)
            descr, shape, payload = npy(body, problems, info.filename)
            if descr != DESCR[t["dtype"]] or shape != tuple(t["shape"]):
                problems.append("%s: descr %r shape %r, tensor %s %r" % (
                    info.filename, descr, shape, t["dtype"], t["shape"]))
            if payload != data[t["offset"]:t["offset"] + t["bytes"]]:
                problems.append("%s: data differ from the checkpoint's bytes" % info.filename)
            if len(problems) > 10:
                break
        raw.seek(0, 2)
        end = raw.tell()
        raw.seek(max(0, end - 22 - 20 - 56))
        tail = raw.read()
        zip64 = tail.find(b"PK\x06\x06") >= 0 and tail.find(b"PK\x06\x07") >= 0
    for p in problems:
        print(p)
    print("members %d zip64 %s" % (len(infos), "Y" if zip64 else "N"))
    sys.exit(1 if problems else 0)


main()
