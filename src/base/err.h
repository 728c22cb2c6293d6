/* Error values returned by the library: a code and a one-line message, never printed here. */
#ifndef CKPT_ERR_H
#define CKPT_ERR_H

enum ck_code {
	CK_OK = 0,
	CK_EIO = -1,       /* a system call failed (message carries strerror) */
	CK_ECORRUPT = -2,  /* the bytes break the format: truncated, bad checksum, bad varint ... */
	CK_EKIND = -3,     /* a readable file of the wrong kind (a .meta, a state file, V1 ...) */
	CK_ENOTFOUND = -4, /* a path, checkpoint or tensor that does not exist */
	CK_EUNSUP = -5,    /* valid but not supported (big-endian data, unknown dtype ...) */
	CK_EUSAGE = -6,    /* the caller asked for something impossible (bad rule, bad range) */
	CK_EEXIST = -7,    /* an output exists and may not be replaced */
};

struct ck_err {
	int code;
	char msg[1024];
};

/* Fill err (which may be NULL) with code and a printf-style message; returns code. */
int ck_error(struct ck_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like ck_error, with ": strerror(errnum)" appended; returns CK_EIO or CK_ENOTFOUND. */
int ck_syserr(struct ck_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "what: " (e.g. a file name added by an outer layer). */
int ck_wrap(struct ck_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ck_err_clear(struct ck_err *err);

#endif
