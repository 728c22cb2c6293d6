/* dynload: a library opened on first use, and the errors when it or a symbol is missing. */
#include <string.h>

#include "base/dynload.h"
#include "tap.h"

static double (*p_cos)(double);

int main(void)
{
	static const char *const names[] = { "cos", NULL };
	static void **const slots[] = { (void **)&p_cos };
	static const char *const bad_names[] = { "cos", "no_such_symbol_in_libm", NULL };
	void *unused;
	void **const bad_slots[] = { (void **)&p_cos, &unused };
	struct dynlib libm = { "libm.so.6", names, slots, 0, "" };
	struct dynlib none = { "libckpt-does-not-exist.so.9", names, slots, 0, "" };
	struct dynlib partial = { "libm.so.6", bad_names, bad_slots, 0, "" };
	struct ck_err err;

	is_int(dynlib_load(&libm, "a test", &err), 0, "a present library loads");
	ok(p_cos && p_cos(0.0) == 1.0, "and its symbol is callable");
	is_int(dynlib_load(&libm, "a test", &err), 0, "loading again is a no-op");

	is_int(dynlib_load(&none, "reading .npz files", &err), CK_EUNSUP, "a missing library fails");
	ok(strstr(err.msg, "libckpt-does-not-exist.so.9") && strstr(err.msg, "reading .npz files"),
	   "naming the library and what it was needed for");
	is_int(dynlib_load(&none, "reading .npz files", &err), CK_EUNSUP, "and fails again, at once");

	is_int(dynlib_load(&partial, "a test", &err), CK_EUNSUP, "a missing symbol fails");
	ok(strstr(err.msg, "no_such_symbol_in_libm") != NULL, "naming the symbol");
	return tap_done();
}
