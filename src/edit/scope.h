/* Name scopes: the prefixes of a tensor name that end in '/' ("encoder/", "encoder/layer_0/"),
 * the one splitting rule behind `list --by-scope` and `diff --stat --by-scope`. */
#ifndef CKPT_SCOPE_H
#define CKPT_SCOPE_H

#include <stddef.h>

/* The length of name's next scope after its first `from` bytes (0 to begin): the prefix up to
 * and including the next '/'; 0 when there is none. A leading '/' starts no scope, and a TF2
 * key's tail ("kernel/.ATTRIBUTES/VARIABLE_VALUE", "/.OPTIMIZER_SLOT/...": a '/' followed by
 * '.') ends them: those parts name one variable's attributes, not scopes. */
size_t scope_next(const char *name, size_t len, size_t from);

/* The length of name's scope `depth` levels deep (1: the outermost), or of its innermost
 * scope when it has fewer levels or depth is 0; 0 for a name without a scope. */
size_t scope_prefix(const char *name, size_t len, int depth);

#endif
