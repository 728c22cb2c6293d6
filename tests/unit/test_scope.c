/* scope: the scopes of tensor names, as list --by-scope and diff --stat --by-scope split them. */
#include <string.h>

#include "edit/scope.h"
#include "tap.h"

static size_t prefix(const char *name, int depth)
{
	return scope_prefix(name, strlen(name), depth);
}

int main(void)
{
	const char *n = "encoder/layer_0/attention/kernel";
	size_t a = scope_next(n, strlen(n), 0), b = scope_next(n, strlen(n), a);

	is_int(a, 8, "first scope: encoder/");
	is_int(b, 16, "then encoder/layer_0/");
	is_int(scope_next(n, strlen(n), 26), 0, "no scope after the last '/'");
	is_int(prefix(n, 0), 26, "innermost: encoder/layer_0/attention/");
	is_int(prefix(n, 1), 8, "depth 1");
	is_int(prefix(n, 2), 16, "depth 2");
	is_int(prefix(n, 9), 26, "deeper than the name: its innermost scope");
	is_int(prefix("global_step", 0), 0, "a top-level name has no scope");
	is_int(prefix("/x", 0), 0, "a leading '/' starts no scope");
	is_int(prefix("model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE", 0), 12,
	       "TF2 key: the attribute tail is not a scope (model/dense/)");
	is_int(prefix("a/b/", 0), 4, "a trailing '/' ends a scope");
	return tap_done();
}
