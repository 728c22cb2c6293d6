/* Libraries opened on first use (see dynload.h). */
#include "base/dynload.h"

#include <dlfcn.h>
#include <stdio.h>

int dynlib_load(struct dynlib *l, const char *purpose, struct ck_err *err)
{
	void *h;

	if (!l->state) {
		l->state = -1;
		h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			snprintf(l->why, sizeof(l->why), "%s", dlerror());
		} else {
			size_t i;
			for (i = 0; l->names[i]; i++)
				if (!(*l->slots[i] = dlsym(h, l->names[i])))
					break;
			if (l->names[i])
				snprintf(l->why, sizeof(l->why), "it lacks %s", l->names[i]);
			else
				l->state = 1;
		}
	}
	if (l->state > 0)
		return 0;
	return ck_error(err, CK_EUNSUP, "cannot load %s (needed for %s): %s", l->soname, purpose,
			l->why);
}
