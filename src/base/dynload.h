/* Libraries opened on first use (dlopen) rather than linked. Linked, libzip (with libcrypto,
 * libbz2 and libz behind it) and snappy (with libstdc++) cost about 2 ms at every start of
 * ckpt, more than listing a typical checkpoint takes, and most runs never read a .npz or a
 * Snappy-compressed block.
 *
 * A user declares a function pointer per symbol, typed from the library's own header with
 * __typeof__, and a struct dynlib naming them; dynlib_load fills them in once. */
#ifndef CKPT_DYNLOAD_H
#define CKPT_DYNLOAD_H

#include "base/err.h"

struct dynlib {
	const char *soname;        /* the library the headers belong to (from the Makefile) */
	const char *const *names;  /* its symbols, NULL-terminated */
	void **const *slots;       /* where each one's address goes */
	int state;                 /* 0 not tried, 1 loaded, -1 failed */
	char why[256];             /* after a failure, why */
};

/* 0 when every symbol is loaded; CK_EUNSUP "cannot load SONAME (needed for PURPOSE): why"
 * otherwise (then and on every later call). */
int dynlib_load(struct dynlib *l, const char *purpose, struct ck_err *err);

#endif
