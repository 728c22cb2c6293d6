/* Error values: formatting of the one-line messages the CLI prints. */
#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ck_error(struct ck_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int ck_syserr(struct ck_err *err, int errnum, const char *fmt, ...)
{
	int code = (errnum == ENOENT || errnum == ENOTDIR) ? CK_ENOTFOUND : CK_EIO;
	va_list ap;
	size_t n;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	return code;
}

int ck_wrap(struct ck_err *err, const char *fmt, ...)
{
	char head[512], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return CK_EIO;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Keep the head whole and cut the old message if the two do not fit. */
	snprintf(err->msg, sizeof(err->msg), "%s: %.*s", head,
		 (int)(sizeof(err->msg) - strlen(head) - 3), old);
	return err->code;
}

void ck_err_clear(struct ck_err *err)
{
	if (err) {
		err->code = CK_OK;
		err->msg[0] = '\0';
	}
}
