/* Choosing tensors by name (see namefilter.h). */
#include "edit/namefilter.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Patterns that match every name, or every nonempty one, are answered without regexec:
 * `--match .` checks a whole checkpoint, and regexec costs ~70 ns a name, 7 ms for 10^5. */
enum { RE_GENERAL, RE_NONEMPTY, RE_ALL };

static unsigned char pattern_kind(const char *re)
{
	if (!strcmp(re, "."))
		return RE_NONEMPTY;
	if (!*re || !strcmp(re, ".*") || !strcmp(re, "^") || !strcmp(re, "$"))
		return RE_ALL;
	return RE_GENERAL;
}

int namefilter_add(struct namefilter *f, const char *re, int exclude, struct ck_err *err)
{
	regex_t **arr = exclude ? &f->exc : &f->inc;
	unsigned char **kind = exclude ? &f->exc_kind : &f->inc_kind;
	size_t *n = exclude ? &f->nexc : &f->ninc;
	int rc;

	*arr = xreallocarray(*arr, *n + 1, sizeof(regex_t));
	*kind = xreallocarray(*kind, *n + 1, 1);
	(*kind)[*n] = pattern_kind(re);
	rc = regcomp(&(*arr)[*n], re, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[256];
		regerror(rc, &(*arr)[*n], msg, sizeof(msg));
		return ck_error(err, CK_EUSAGE, "bad regular expression '%s': %s", re, msg);
	}
	(*n)++;
	return 0;
}

static int one_match(const regex_t *re, unsigned char kind, const char *name)
{
	return kind == RE_ALL || (kind == RE_NONEMPTY ? *name != 0 : !regexec(re, name, 0, NULL, 0));
}

static int any_match(const regex_t *re, const unsigned char *kind, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (one_match(&re[i], kind[i], name))
			return 1;
	return 0;
}

int namefilter_inc_match(const struct namefilter *f, size_t k, const char *name)
{
	return one_match(&f->inc[k], f->inc_kind[k], name);
}

int namefilter_included(const struct namefilter *f, const char *name)
{
	return any_match(f->inc, f->inc_kind, f->ninc, name);
}

int namefilter_excluded(const struct namefilter *f, const char *name)
{
	return any_match(f->exc, f->exc_kind, f->nexc, name);
}

int namefilter_match(const struct namefilter *f, const char *name)
{
	return (!f->ninc || namefilter_included(f, name)) && !namefilter_excluded(f, name);
}

void namefilter_release(struct namefilter *f)
{
	for (size_t i = 0; i < f->ninc; i++)
		regfree(&f->inc[i]);
	for (size_t i = 0; i < f->nexc; i++)
		regfree(&f->exc[i]);
	free(f->inc);
	free(f->exc);
	free(f->inc_kind);
	free(f->exc_kind);
	memset(f, 0, sizeof(*f));
}

/* The one table of optimizer-state spellings (man page, OPTIMIZER STATE, lists the same
 * rows). Slot variables are named after the variable they belong to plus the optimizer's slot
 * name (TF1: `<var>/<OptimizerName>`, `_1`, `_2`... for its further slots, since TF1 scopes
 * each slot under the optimizer's name and uniquifies), or sit under the optimizer in the
 * object graph (TF2 keys); hand-written optimizers (BERT, LAMB, mesh-TF) name them freely. */
static const struct {
	const char *re;
	int last_component;  /* the slot is the name's last '/' component; the rest, its variable */
} optimizer_res[] = {
	/* TF2 object-based keys: a variable's slots, and the optimizer's own variables */
	{ "/\\.OPTIMIZER_SLOT/", 0 },
	{ "^optimizer/", 0 },
	/* Keras optimizers in TF1 graph mode scope everything under training/<Optimizer>/ */
	{ "^training/(Adam|AdamW|Adamax|Nadam|SGD|RMSprop|Adagrad|Adadelta|Ftrl|Momentum|Lion|"
	  "Adafactor|LossScaleOptimizer)/", 0 },
	/* TF1 tf.train / tf.contrib optimizers by their default names (t2t's Adafactor too) */
	{ "/(Adam|AdamW|AdamWeightDecayOptimizer|LazyAdam|Adamax|AdaMax|Nadam|Momentum|RMSProp|"
	  "Adagrad|AdagradDA|ProximalAdagrad|Adadelta|Ftrl|LAMB|LARS|LARSOptimizer|Adafactor|"
	  "AddSign|PowerSign)(_[0-9]+)?$", 1 },
	/* BERT's AdamWeightDecayOptimizer, mesh-TF's Adam, and LAMB ports of BERT */
	{ "/(adam|lamb)_[mv]$", 1 },
	/* mesh-TF Adafactor (factored vr/vc, or v; m with beta1) and its SGD momentum */
	{ "_slot_(v|vr|vc|m)$", 0 },
	{ "_momentum_v$", 0 },
	/* TF1 Adam's (and LazyAdam's, Nadam's) step accumulators */
	{ "(^|/)beta[12]_power(_[0-9]+)?$", 0 },
};
#define NOPT (sizeof(optimizer_res) / sizeof(optimizer_res[0]))

/* A cheap test every name the rules above match passes (so that the regexes run on few
 * names: on each of 10^4 names they doubled the time `ckpt list` takes). Keep it in step with
 * the table: each rule needs one of these. */
static int may_match(const char *name)
{
	const char *last = strrchr(name, '/');
	size_t n;

	last = last ? last + 1 : name;
	n = strlen(last);
	if ((*name == 'o' && !strncmp(name, "optimizer/", 10)) ||
	    (*name == 't' && !strncmp(name, "training/", 9)))
		return 1;
	if (strchr(name, '.') && strstr(name, "/.OPTIMIZER_SLOT/"))
		return 1;
	if (!strcmp(last, "VARIABLE_VALUE"))  /* any other TF2 key: no rule left can match */
		return 0;
	return (*last >= 'A' && *last <= 'Z') ||  /* TF1 optimizer names */
	       (*last == 'a' && !strncmp(last, "adam_", 5)) ||
	       (*last == 'l' && !strncmp(last, "lamb_", 5)) ||
	       (*last == 'b' && !strncmp(last, "beta", 4) && (last[4] == '1' || last[4] == '2') &&
		!strncmp(last + 5, "_power", 6)) ||  /* not every norm/beta */
	       (n >= 7 && strchr("vrcm", last[n - 1]) &&  /* the suffixes' last letters */
		(mem_has_suffix(last, n, "_slot_v") || mem_has_suffix(last, n, "_slot_vr") ||
		 mem_has_suffix(last, n, "_slot_vc") || mem_has_suffix(last, n, "_slot_m") ||
		 mem_has_suffix(last, n, "_momentum_v")));
}

/* The rule name matches, or -1. */
static int optimizer_rule(const char *name)
{
	static regex_t re[NOPT];
	static int ready;

	if (!may_match(name))
		return -1;
	if (!ready) {
		for (size_t i = 0; i < NOPT; i++)
			if (regcomp(&re[i], optimizer_res[i].re, REG_EXTENDED | REG_NOSUB))
				abort();  /* the patterns above are constant */
		ready = 1;
	}
	for (size_t i = 0; i < NOPT; i++)
		if (!regexec(&re[i], name, 0, NULL, 0))
			return (int)i;
	return -1;
}

int is_optimizer_name(const char *name)
{
	return optimizer_rule(name) >= 0;
}

size_t optimizer_slot_owner(const char *name)
{
	int r = optimizer_rule(name);

	if (r < 0 || !optimizer_res[r].last_component)
		return 0;
	return (size_t)(strrchr(name, '/') - name);
}
