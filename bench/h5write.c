/* bench-h5write: the same arrays as a checkpoint, in an HDF5 file, for the h5diff/h5ls peers.
 *
 *   bench-h5write CKPT_PREFIX OUT.h5
 *
 * Every numeric tensor becomes a contiguous (unchunked, uncompressed) dataset in the root
 * group, its name with '/' written as '.': a checkpoint holds both "x/kernel" and
 * "x/kernel/adam_m", which HDF5 cannot store as a dataset and a group of one name.
 * Built only by bench/run when libhdf5-dev is installed; never part of the ckpt build. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"
#include "format/dtype.h"

static hid_t h5_type(int dtype)
{
	switch (dtype) {
	case DT_FLOAT: return H5T_NATIVE_FLOAT;
	case DT_DOUBLE: return H5T_NATIVE_DOUBLE;
	case DT_INT8: return H5T_NATIVE_INT8;
	case DT_INT16: return H5T_NATIVE_INT16;
	case DT_INT32: return H5T_NATIVE_INT32;
	case DT_INT64: return H5T_NATIVE_INT64;
	case DT_UINT8: return H5T_NATIVE_UINT8;
	case DT_UINT16: return H5T_NATIVE_UINT16;
	case DT_UINT32: return H5T_NATIVE_UINT32;
	case DT_UINT64: return H5T_NATIVE_UINT64;
	default: return -1;
	}
}

int main(int argc, char **argv)
{
	struct bundle *b;
	struct ck_err err;
	struct buf data = BUF_INIT;
	hid_t f;
	int rc = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-h5write CKPT_PREFIX OUT.h5\n");
		return 2;
	}
	if (bundle_open(&b, argv[1], &err) < 0) {
		fprintf(stderr, "bench-h5write: %s\n", err.msg);
		return 2;
	}
	f = H5Fcreate(argv[2], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (f < 0) {
		fprintf(stderr, "bench-h5write: %s: cannot create\n", argv[2]);
		bundle_free(b);
		return 2;
	}
	for (size_t i = 0; i < b->nentries && !rc; i++) {
		const struct bundle_entry *e = &b->entries[i];
		hsize_t dims[64];
		hid_t type = h5_type(e->dtype), space, set;
		char *name;

		if (e->is_slice || e->nslices || type < 0 || e->rank > 64)
			continue;
		if (bundle_read(b, e, &data, &err) < 0) {
			fprintf(stderr, "bench-h5write: %s\n", err.msg);
			rc = 2;
			break;
		}
		for (int d = 0; d < e->rank; d++)
			dims[d] = (hsize_t)e->dims[d];
		name = xmemdup(e->name, e->name_len);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '.';
		space = e->rank ? H5Screate_simple(e->rank, dims, NULL) : H5Screate(H5S_SCALAR);
		set = H5Dcreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
		if (set < 0 || (e->elements &&
				H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.p) < 0)) {
			fprintf(stderr, "bench-h5write: %s: cannot write dataset %s\n", argv[2], name);
			rc = 2;
		}
		if (set >= 0)
			H5Dclose(set);
		H5Sclose(space);
		free(name);
	}
	if (H5Fclose(f) < 0 && !rc) {
		fprintf(stderr, "bench-h5write: %s: cannot close\n", argv[2]);
		rc = 2;
	}
	if (rc)
		remove(argv[2]);
	buf_release(&data);
	bundle_free(b);
	return rc;
}
