/* Splitting tensor names into scopes. */
#include "edit/scope.h"

size_t scope_next(const char *name, size_t len, size_t from)
{
	for (size_t i = from ? from : 1; i < len; i++) {
		if (name[i] != '/')
			continue;
		return i + 1 < len && name[i + 1] == '.' ? 0 : i + 1;
	}
	return 0;
}

size_t scope_prefix(const char *name, size_t len, int depth)
{
	size_t end = 0;

	for (size_t next = scope_next(name, len, 0); next; next = scope_next(name, len, next)) {
		end = next;
		if (depth && --depth == 0)
			break;
	}
	return end;
}
