/* Tensor, parameter, optimizer-state and byte totals, one definition for every command. */
#include <string.h>

#include "base/fmt.h"
#include "format/dtype.h"
#include "edit/namefilter.h"
#include "edit/totals.h"

int totals_dtype_counts(int dtype)
{
	const struct dtype_info *d = dtype_info(dtype);

	/* Weights are floats (or complex, or quantized integers); integers in a checkpoint are
	 * step counters, iteration numbers and vocabulary ids, which nobody calls parameters. */
	return d && (d->kind == DK_FLOAT || d->kind == DK_COMPLEX || d->kind == DK_QUANT);
}

uint64_t totals_entry_bytes(const struct bundle_entry *e)
{
	return e->nslices ? e->slices_bytes : e->size;
}

void totals_add_named(struct totals *t, const char *name, int dtype, uint64_t elements,
		      uint64_t bytes)
{
	int opt = is_optimizer_name(name);

	t->tensors++;
	t->elements += elements;
	t->bytes += bytes;
	t->opt_tensors += opt;
	if (totals_dtype_counts(dtype)) {
		if (opt)
			t->opt_params += elements;
		else
			t->params += elements;
	}
}

void totals_add(struct totals *t, const struct bundle_entry *e)
{
	totals_add_named(t, e->name, e->dtype, e->elements, totals_entry_bytes(e));
}

void totals_of_bundle(struct totals *t, const struct bundle *b)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < b->nentries; i++)
		if (!b->entries[i].is_slice)
			totals_add(t, &b->entries[i]);
}

void totals_text(struct buf *out, const struct totals *t, int exact)
{
	char s1[32], s2[32], s3[32];

	buf_addf(out, "%s %s, %s %s", fmt_count(s1, t->tensors), t->tensors == 1 ? "tensor" : "tensors",
		 fmt_count(s2, t->params), t->params == 1 ? "parameter" : "parameters");
	if (t->opt_params)
		buf_addf(out, " (%s more in optimizer state)", fmt_count(s3, t->opt_params));
	buf_addf(out, ", %s%s of tensor data", fmt_size(s1, t->bytes, exact), exact ? " bytes" : "");
}
