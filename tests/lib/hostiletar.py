#!/usr/bin/env python3
"""Hostile layers and documents for tests/lib/hostile.py: decompression
bombs, tar headers that lie, names that climb out of the root, symlink
chains, broken ELF and #! files, and manifests and indexes far past the
checker's limits.  Python 3 standard library only; every blob is built
in memory in well under a second (the bombs are written block by block,
never compressed byte by byte).
"""

import struct
import tarfile
import zlib

import imagebuild as ib

APP = ib.elf(arch="amd64")
GiB = 1024 * 1024 * 1024
MiB = 1024 * 1024
# Uncompressed bytes of a bomb: past IMAGEFS_LAYER_UNPACKED_MAX (8 GiB).
BOMB_BYTES = 9 * GiB
# zstd's largest block (zstd format, "Block_Maximum_Size").
ZSTD_BLOCK = 128 * 1024


def tar_member(name, data=b"", kind=tarfile.REGTYPE, size=None, link="",
	       mode=0o755):
	"""One tar header (GNU format: base-256 for sizes past 8 GiB), then
	DATA padded to 512 bytes.  SIZE, if given, is what the header says."""
	ti = tarfile.TarInfo(name)
	ti.type = kind
	ti.mode = mode
	ti.size = len(data) if size is None else size
	ti.linkname = link
	ti.mtime = 0
	head = ti.tobuf(format=tarfile.GNU_FORMAT)
	return head + data + bytes(-len(data) % 512)


def tar_end():
	return bytes(1024)


def layer_of(tar_bytes, compression="gzip"):
	return ib.LayerBlob(ib.compress(tar_bytes, compression),
			    ib.OCI_LAYER[compression], ib.sha256(tar_bytes),
			    len(tar_bytes))


# -- bombs --------------------------------------------------------------


def crc32_of_zeros(crc, n, chunk=MiB):
	"""zlib.crc32 of CRC continued over N zero bytes (N a multiple of
	CHUNK), without hashing them: the CRC over a chunk of zeros is an
	affine map of the previous value, applied N / CHUNK times."""
	zeros = bytes(chunk)
	base = zlib.crc32(zeros, 0)
	cols = [zlib.crc32(zeros, 1 << i) ^ base for i in range(32)]
	for _ in range(n // chunk):
		out, i, c = base, 0, crc
		while c:
			if c & 1:
				out ^= cols[i]
			c >>= 1
			i += 1
		crc = out
	return crc


def deflate_part(data, last):
	"""Raw deflate of DATA from a fresh compressor, ending byte-aligned
	(full flush), or final when LAST."""
	c = zlib.compressobj(9, zlib.DEFLATED, -15)
	return c.compress(data) + c.flush(zlib.Z_FINISH if last else
					  zlib.Z_FULL_FLUSH)


def gzip_bomb():
	"""A gzip layer: /bomb declaring (and holding) BOMB_BYTES zeros, then
	/app.  Each MiB of zeros is the same independent deflate block."""
	head = tar_member("bomb", size=BOMB_BYTES, mode=0o644)
	tail = tar_member("app", APP) + tar_end()
	block = deflate_part(bytes(MiB), False)
	body = deflate_part(head, False) + block * (BOMB_BYTES // MiB) + \
		deflate_part(tail, True)
	crc = zlib.crc32(head)
	crc = crc32_of_zeros(crc, BOMB_BYTES)
	crc = zlib.crc32(tail, crc)
	total = len(head) + BOMB_BYTES + len(tail)
	gz = b"\x1f\x8b\x08\x00" + bytes(4) + b"\x02\xff" + body + \
		struct.pack("<II", crc, total & 0xffffffff)
	return gz, total


def zstd_frame(pieces):
	"""A zstd frame (RFC 8878) of PIECES: bytes as raw blocks, an int N
	as N zero bytes in RLE blocks.  No content size, no checksum; the
	128 KiB window holds any block."""
	out = bytearray(b"\x28\xb5\x2f\xfd\x00\x38")
	blocks = []
	for p in pieces:
		if isinstance(p, int):
			blocks += [(1, min(ZSTD_BLOCK, p - o), b"\0")
				   for o in range(0, p, ZSTD_BLOCK)]
		else:
			blocks += [(0, len(p[o:o + ZSTD_BLOCK]),
				    p[o:o + ZSTD_BLOCK])
				   for o in range(0, len(p), ZSTD_BLOCK)]
	for i, (btype, size, payload) in enumerate(blocks):
		last = 1 if i == len(blocks) - 1 else 0
		hdr = last | (btype << 1) | (size << 3)
		out += hdr.to_bytes(3, "little") + payload
	return bytes(out)


def zstd_bomb():
	"""A zstd layer of nine 1 GiB files of zeros, then /app: no header
	alone passes the limit, the bytes unpacked before /app do."""
	n = BOMB_BYTES // GiB
	pieces = []
	for i in range(n):
		pieces += [tar_member("fill%d" % i, size=GiB, mode=0o644), GiB]
	pieces.append(tar_member("app", APP) + tar_end())
	data = zstd_frame(pieces)
	total = sum(p if isinstance(p, int) else len(p) for p in pieces)
	return data, total


# -- tar headers, names and links -------------------------------------


def size_field(value):
	"""A tar header for /app whose size field is VALUE in base-256
	(negative values too, as GNU tar writes them)."""
	head = bytearray(tar_member("app", mode=0o755))
	head[124:136] = (value % (1 << 88)).to_bytes(12, "big")
	head[124] |= 0x80
	if value < 0:
		head[124] = 0xff
	head[148:156] = b" " * 8
	head[148:156] = b"%06o\0 " % sum(head[:512])
	return bytes(head)


def escaping_layer():
	return tar_member("../../../etc/evil", b"x\n", mode=0o644) + \
		tar_member("/app", APP) + tar_end()


def symlink_chain(n):
	"""/l0 -> /l1 -> ... -> /l{n-1} -> /app: N links to follow."""
	out = tar_member("app", APP)
	for i in range(n):
		target = "/app" if i == n - 1 else "/l%d" % (i + 1)
		out += tar_member("l%d" % i, kind=tarfile.SYMTYPE, link=target,
				  mode=0o777)
	return out + tar_end()


# -- ELF and #! ----------------------------------------------------------


def elf_edit(fmt, offset, value):
	b = bytearray(APP)
	struct.pack_into(fmt, b, offset, value)
	return bytes(b)


def elf_interp_past_end():
	"""A DYN with PT_INTERP whose p_offset lies past the end of the file."""
	b = bytearray(ib.elf(arch="amd64", etype="DYN", interp="/ld.so"))
	struct.pack_into("<Q", b, 64 + 8, len(b) + 4096)
	return bytes(b)


FILES = {
	# e_phoff past the end of the file
	"phoff-past-end": elf_edit("<Q", 32, len(APP) + 4096),
	# e_phnum 65535: a table of 3.6 MB, over the kernel's 64 KiB
	"phnum-huge": elf_edit("<H", 56, 0xffff),
	# e_phentsize that is not sizeof(Elf64_Phdr)
	"phentsize-huge": elf_edit("<H", 54, 0xffff),
	"interp-past-end": elf_interp_past_end(),
	# #! with no newline within the kernel's 256 bytes
	"shebang-long": b"#!/bin/" + b"s" * 300,
	"shebang-only": b"#!",
}
