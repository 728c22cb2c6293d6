/* Renaming rules shared by `ckpt rename` and `ckpt diff --map`: an ordered list, each rule
 * applied to the result of the previous one.
 *
 *   OLD=NEW            exact name (split at the first '=')
 *   OLD/=NEW/          scope: every name starting with OLD/ gets NEW/ instead
 *   s/RE/REPL/[g]      POSIX ERE substitution; any punctuation may stand for '/', as in sed;
 *                      REPL may use \0..\9 and & (the whole match), \n, \t, and numeric
 *                      rewrites \{N} (group N as a decimal number, leading zeros dropped),
 *                      \{N+K} and \{N-K} (that number plus or minus K)
 *   add / strip prefix, add / strip suffix
 *   map file           lines "old<TAB>new" or rules as above ('#' comments, blank lines
 *                      ignored), or a JSON object {"old": "new", ...}
 */
#ifndef CKPT_RULES_H
#define CKPT_RULES_H

#include <regex.h>
#include <stddef.h>

#include "base/err.h"
#include "base/util.h"

enum rule_kind { RULE_EXACT, RULE_SCOPE, RULE_REGEX, RULE_ADD_PREFIX, RULE_STRIP_PREFIX,
		 RULE_ADD_SUFFIX, RULE_STRIP_SUFFIX };

struct rule {
	enum rule_kind kind;
	char *text;            /* as written, for messages */
	char *from, *to;       /* exact/scope/prefix operands; regex source and replacement */
	size_t from_len, to_len;
	regex_t re;            /* RULE_REGEX */
	int global;            /* s///g */
	size_t hits;           /* names this rule changed so far */
};

struct rules {
	struct rule *v;
	size_t n;
};

/* Results of rules_apply. */
enum { RULES_SAME = 0, RULES_RENAMED = 1, RULES_DROPPED = 2 };

void rules_init(struct rules *r);
void rules_release(struct rules *r);

/* One rule as typed (OLD=NEW, OLD/=NEW/, s/RE/REPL/[g]); CK_EUSAGE naming the rule. */
int rules_parse(struct rules *r, const char *text, struct ck_err *err);
void rules_add_prefix(struct rules *r, const char *prefix);
void rules_strip_prefix(struct rules *r, const char *prefix);
void rules_add_suffix(struct rules *r, const char *suffix);
void rules_strip_suffix(struct rules *r, const char *suffix);
/* A map file: TSV "old<TAB>new" lines (or rules), or a JSON object. */
int rules_load(struct rules *r, const char *path, struct ck_err *err);

/* Apply every rule in order to name; the result replaces out's contents. Returns
 * RULES_SAME, RULES_RENAMED, or RULES_DROPPED when the rules emptied the name. */
int rules_apply(struct rules *r, const void *name, size_t len, struct buf *out);

#endif
